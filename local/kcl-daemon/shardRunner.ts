// The runner for one shard: a processor process fed from the shard's fetcher. It starts from the
// checkpoint, calls processRecords on every poll (with an empty list when the stream is quiet, as
// callProcessRecordsEvenForEmptyRecordList does on AWS), stores the processor's checkpoints, ends
// the shard when it is closed and read to its end, and restarts a processor that dies from the
// checkpoint (the records after it are delivered again), with the retry policy's backoff. A failure
// restarting cannot fix (a processor command that does not start, Kinesis refusing access) ends
// the runner: its `done` rejects with that error.
import type { _Record, KinesisClient } from '@aws-sdk/client-kinesis';
import { BrewstreamError, isAbort, TransientError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { type Policy, retry } from '../../lib/retry.js';
import { type CheckpointStore, SHARD_END } from './checkpointStore.js';
import { type ProcessorChild, spawnProcessor } from './processorChild.js';
import { FetchFailed, type Page, shardFetcher } from './shardFetcher.js';

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
  /**
   * Resolves 'ended' when the shard is finished (SHARD_END stored), 'stopped' after stop(); rejects
   * with the error when the runner fails for good.
   */
  done: Promise<'ended' | 'stopped'>;
  /** Stops the runner (the processor flushes and checkpoints); never rejects. */
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

/** Processor restarts: as often as needed, waits up to 0.1, 0.2, ... 5 s between them. */
export const RESTART_RETRY: Policy = { attempts: Number.POSITIVE_INFINITY, baseMs: 100, capMs: 5000 };

class Crashed extends TransientError {}

export function runShard(ctx: RunnerContext, shardId: string): ShardRunner {
  const log = ctx.logger.child({ shardId });
  let stopping = false;
  const stopped = new AbortController();
  let child: ProcessorChild | undefined;
  let wakeUp: (() => void) | undefined;

  const runOnce = async (): Promise<'ended' | 'stopped' | 'crashed'> => {
    let checkpoint: string | undefined;
    try {
      checkpoint = await ctx.store.get(shardId);
    } catch (error) {
      log.warn({ err: error }, 'could not read the checkpoint; retrying');
      return 'crashed';
    }
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
      let fatal: FetchFailed | undefined;
      while (!stopping) {
        let page: Page;
        try {
          page = await fetcher.next(stopped.signal);
        } catch (error) {
          if (isAbort(error)) break;
          if (!(error instanceof FetchFailed)) throw error;
          // Kinesis will not serve this shard: let the processor hand in what it holds, then fail.
          fatal = error;
          break;
        }
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
      if (fatal) throw fatal;
      return 'stopped';
    } catch (error) {
      processor.kill();
      await processor.exited;
      // What restarting cannot mend (a command that does not start, a read refused for good) ends the runner.
      if (error instanceof BrewstreamError && !error.retriable) throw error;
      if (stopping) return 'stopped';
      log.warn({ err: error, pid: processor.pid }, 'processor died; restarting from the checkpoint');
      return 'crashed';
    }
  };

  const done = (async (): Promise<'ended' | 'stopped'> => {
    try {
      return await retry(
        async () => {
          const result = await runOnce();
          if (result === 'crashed') throw new Crashed(`the processor of ${shardId} died`);
          return result;
        },
        {
          ...RESTART_RETRY,
          signal: stopped.signal,
          retryable: (error) => error instanceof Crashed,
          onRetry: (_error, attempt, ms) => log.info({ restarts: attempt, inMs: ms }, 'restarting the shard'),
        },
      );
    } catch (error) {
      if (isAbort(error)) return 'stopped';
      log.error({ err: error }, 'shard runner failed');
      throw error;
    }
  })();

  return {
    done,
    pid: () => child?.pid,
    stop: async () => {
      stopping = true;
      stopped.abort();
      wakeUp?.();
      await done.catch(() => {}); // a failure is reported through `done`
    },
  };
}
