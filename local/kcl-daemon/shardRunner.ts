// The runner for one shard: a processor process fed from the shard's fetcher. It starts from the
// checkpoint, calls processRecords on every poll (with an empty list when the stream is quiet, as
// callProcessRecordsEvenForEmptyRecordList does on AWS), stores the processor's checkpoints, ends
// the shard when it is closed and read to its end, and restarts a processor that dies from the
// checkpoint (the records after it are delivered again).
import type { _Record, KinesisClient } from '@aws-sdk/client-kinesis';
import type { Logger } from '../../lib/logger.js';
import { type CheckpointStore, SHARD_END } from './checkpointStore.js';
import { type ProcessorChild, spawnProcessor } from './processorChild.js';
import { shardFetcher } from './shardFetcher.js';

export interface RunnerContext {
  kinesis: KinesisClient;
  store: CheckpointStore;
  streamName: string;
  command: string[];
  env: NodeJS.ProcessEnv;
  pollIntervalMs: number;
  maxRecords: number;
  logger: Logger;
}

export interface ShardRunner {
  /** Resolves 'ended' when the shard is finished (SHARD_END stored), 'stopped' after stop(). */
  done: Promise<'ended' | 'stopped'>;
  stop(): Promise<void>;
  /** The current processor's pid (tests kill it). */
  pid(): number | undefined;
}

export function toKclRecord(record: _Record) {
  return {
    data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
    partitionKey: record.PartitionKey,
    sequenceNumber: record.SequenceNumber,
    subSequenceNumber: 0,
    approximateArrivalTimestamp: record.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runShard(ctx: RunnerContext, shardId: string): ShardRunner {
  const log = ctx.logger.child({ shardId });
  let stopping = false;
  let child: ProcessorChild | undefined;
  let wakeUp: (() => void) | undefined;

  const runOnce = async (): Promise<'ended' | 'stopped' | 'crashed'> => {
    const checkpoint = await ctx.store.get(shardId);
    if (checkpoint === SHARD_END) return 'ended';
    let lastDelivered = checkpoint;
    let ending = false;
    const onCheckpoint = async (sequenceNumber: string | null): Promise<string | undefined> => {
      // No sequence number: at a shard's end it marks the end; otherwise the last record delivered.
      const value = sequenceNumber ?? (ending ? SHARD_END : lastDelivered);
      if (value === undefined) return undefined;
      if (value !== SHARD_END && lastDelivered !== undefined && BigInt(value) > BigInt(lastDelivered)) {
        log.warn(
          { sequenceNumber: value, lastDelivered },
          'checkpoint beyond the last record delivered: refused',
        );
        return 'InvalidStateException';
      }
      try {
        await ctx.store.set(shardId, value);
        return undefined;
      } catch (error) {
        log.warn({ err: error }, 'could not store checkpoint');
        return 'KinesisClientLibDependencyException';
      }
    };

    const processor = spawnProcessor(ctx.command, ctx.env);
    child = processor;
    const fetcher = shardFetcher(ctx.kinesis, {
      streamName: ctx.streamName,
      shardId,
      after: checkpoint,
      limit: ctx.maxRecords,
      onBackoff: (reason, ms) => log.warn({ reason, retryInMs: ms }, 'GetRecords backing off'),
    });
    try {
      await processor.call({
        action: 'initialize',
        shardId,
        sequenceNumber: checkpoint ?? 'TRIM_HORIZON',
        subSequenceNumber: 0,
      });
      log.info({ pid: processor.pid, from: checkpoint ?? 'TRIM_HORIZON' }, 'processor started');
      while (!stopping) {
        const page = await fetcher.next();
        // Delivered from the moment it is sent: the processor may checkpoint it within this call.
        const last = page.records[page.records.length - 1];
        if (last?.SequenceNumber) lastDelivered = last.SequenceNumber;
        await processor.call(
          {
            action: 'processRecords',
            records: page.records.map(toKclRecord),
            millisBehindLatest: page.millisBehindLatest ?? 0,
          },
          onCheckpoint,
        );
        if (page.ended) {
          ending = true;
          await processor.call({ action: 'shardEnded' }, onCheckpoint);
          await processor.close();
          if ((await ctx.store.get(shardId)) !== SHARD_END) {
            log.warn('processor did not checkpoint the end of the shard; restarting it');
            return 'crashed';
          }
          log.info('shard ended and checkpointed');
          return 'ended';
        }
        if (page.records.length === 0) {
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
            setTimeout(resolve, ctx.pollIntervalMs);
          });
        }
      }
      await processor.call({ action: 'shutdownRequested' }, onCheckpoint);
      await processor.close();
      return 'stopped';
    } catch (error) {
      log.warn({ err: error, pid: processor.pid }, 'processor died; restarting from the checkpoint');
      processor.kill();
      await processor.exited;
      return stopping ? 'stopped' : 'crashed';
    }
  };

  const done = (async () => {
    for (let crashes = 0; ; crashes += 1) {
      const result = await runOnce();
      if (result !== 'crashed') return result;
      if (stopping) return 'stopped';
      await sleep(Math.min(5000, 100 * 2 ** Math.min(crashes, 6)));
    }
  })();

  return {
    done,
    pid: () => child?.pid,
    stop: async () => {
      stopping = true;
      wakeUp?.();
      await done;
    },
  };
}
