// The adapter every brewstream record processor runs under `aws-kcl`: it buffers decoded records
// per shard, flushes a batch through its sink when a bound is reached (checked on every
// processRecords call, empty ones included, so an age-bound batch goes out while the stream is
// quiet; by age at the last call before the bound would pass), and checkpoints a batch's last
// sequence number only after the sink has durably written it.
// Shaped like the click-stream sample of amazon-kinesis-client-nodejs, typed and exactly-once even
// while two processors hold the same shard (docs/design.md "Cleaned objects"): a batch's object is
// named by its first record and created only if absent; whoever comes second ends its batch where
// the existing object ends and takes that object as its write.
import type { Checkpointer, KclRecord, RecordProcessor } from 'aws-kcl';
import { BrewstreamError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { type Policy, retry } from '../../lib/retry.js';
import { type Bounds, type Buffered, cut, due } from './batch.js';

/** The object metadata both sinks keep an object's last sequence number in. */
export const LAST_SEQUENCE_NUMBER = 'last-sequence-number';

export interface Sink<T> {
  /** Decodes one record; must not throw on bad data (bad data is an item the sink dead-letters). */
  decode(record: KclRecord, data: Buffer): T;
  /** If an object starting at this record already exists (any writer's), the sequence number it ends at. */
  existingEnd(shardId: string, first: Buffered<T>): Promise<bigint | undefined>;
  /**
   * Durably writes one batch, its object named by its first record and created only if that key is
   * free (one atomic step, S3's conditional write): 'exists' when an object already starts there,
   * which is then left untouched.
   */
  write(shardId: string, batch: Buffered<T>[]): Promise<'written' | 'exists'>;
  /** Called after a batch is written and checkpointed; must not block or throw. */
  written?(shardId: string, batch: Buffered<T>[]): void;
}

export interface ProcessorOptions {
  bounds: Bounds;
  logger: Logger;
  now?: () => number;
  /** For tests: the retry policy's wait. */
  sleep?: (ms: number) => Promise<void>;
  /** What a failure that ends the processor does: exit 1 (the daemon restarts the shard); tests watch it. */
  exit?: (error: unknown) => void;
}

/**
 * Sink calls (a batch write, the look-up of an existing object): 8 attempts in all, each one request
 * per object (the processor's S3 client makes no retries of its own), waits up to 0.2, 0.4, ... 10 s.
 * A batch write therefore sends each of its objects at most 8 times.
 */
export const WRITE_RETRY: Policy = { attempts: 8, baseMs: 200, capMs: 10_000 };
/** Checkpoints: 8 attempts, waits up to 0.1, 0.2, ... 5 s, long enough to ride out a short Redis outage. */
export const CHECKPOINT_RETRY: Policy = { attempts: 8, baseMs: 100, capMs: 5000 };

/** Checkpoint errors that retrying cannot fix: the shard is no longer ours, or the request is wrong. */
const FATAL_CHECKPOINT_ERRORS = ['ShutdownException', 'InvalidStateException'];

/** The daemon refused a checkpoint; retriable unless the shard is no longer ours or the request is wrong. */
class CheckpointRefused extends BrewstreamError {
  readonly retriable: boolean;
  constructor(
    readonly sequenceNumber: string | null,
    readonly reason: string,
  ) {
    super(`checkpoint at ${sequenceNumber ?? 'shard end'} refused: ${reason}`);
    this.retriable = !FATAL_CHECKPOINT_ERRORS.some((fatal) => reason.includes(fatal));
  }
}
// Only a refusal is retried: anything else thrown around a checkpoint is a bug of ours.
const checkpointRetryable = (error: unknown) => error instanceof CheckpointRefused && error.retriable;

export function batchingProcessor<T>(sink: Sink<T>, options: ProcessorOptions): RecordProcessor {
  const { bounds, logger } = options;
  const now = options.now ?? Date.now;
  let shardId = 'unknown';
  let buffer: Buffered<T>[] = [];
  let bytes = 0;
  let openedAt: number | undefined;
  // When the last processRecords call came, and how long before it the one before came.
  let lastCallAt: number | undefined;
  let callIntervalMs = 0;
  let lostShard = false;
  // The existing-object lookup is made once per batch start, not on every poll.
  let alignment: { seq: bigint; end: bigint | undefined } | undefined;

  // When a checkpoint is finally refused, this processor no longer owns the shard or its daemon is in
  // trouble. What is written but not checkpointed is replayed and aligned to; exiting lets the daemon decide.
  const checkpoint = (checkpointer: Checkpointer, sequenceNumber: string | null): Promise<void> =>
    retry(
      async () => {
        const error = await new Promise<unknown>((resolve) =>
          checkpointer.checkpoint(sequenceNumber, (err) => resolve(err)),
        );
        if (error) throw new CheckpointRefused(sequenceNumber, String(error));
      },
      {
        ...CHECKPOINT_RETRY,
        retryable: checkpointRetryable,
        sleep: options.sleep,
        onRetry: (error, attempt, waitMs) =>
          logger.warn(
            {
              shardId,
              sequenceNumber,
              error: (error as CheckpointRefused).reason,
              attempt,
              retryInMs: waitMs,
            },
            'checkpoint failed: retrying',
          ),
      },
    );

  /** A sink call under the write policy. */
  const sinkCall = <R>(what: string, call: () => Promise<R>): Promise<R> =>
    retry(call, {
      ...WRITE_RETRY,
      sleep: options.sleep,
      onRetry: (error, attempt, waitMs) =>
        logger.warn({ shardId, err: error, attempt, retryInMs: waitMs }, `${what} failed: retrying`),
    });

  const writeWithRetry = (batch: Buffered<T>[]) => sinkCall('batch write', () => sink.write(shardId, batch));
  const existingEnd = (first: Buffered<T>) =>
    sinkCall('existing object look-up', () => sink.existingEnd(shardId, first));

  /** Where an object already starting at `first` ends; it must exist (a write was just refused). */
  const endOfExisting = async (first: Buffered<T>): Promise<bigint> => {
    const end = await existingEnd(first);
    if (end === undefined)
      throw new Error(`the write at ${first.sequenceNumber} was refused, yet no object starts there`);
    return end;
  };

  /**
   * Flushes as many due batches as the buffer holds. Each batch either creates its object or, when
   * an object already starts at its first record (a replay after a crash, or another processor
   * holding this shard during a lease transfer), ends exactly where that object ends and counts it
   * as its write. Either way the checkpoint follows, so a checkpoint is always an object's end.
   */
  const flush = async (checkpointer: Checkpointer, force: boolean): Promise<void> => {
    while (
      !lostShard &&
      due({ count: buffer.length, bytes, openedAt, callIntervalMs }, bounds, now(), force)
    ) {
      const first = buffer[0] as Buffered<T>;
      if (alignment?.seq !== first.seq) alignment = { seq: first.seq, end: await existingEnd(first) };
      const decision = cut(buffer, bounds.maxRecords, alignment.end);
      if ('wait' in decision) {
        if (force)
          logger.warn(
            { shardId, first: first.sequenceNumber },
            'stopping before an existing object was reached: left for the next owner',
          );
        return;
      }
      const batch = buffer.slice(0, decision.flush);
      if (alignment.end === undefined && (await writeWithRetry(batch)) === 'exists') {
        // Someone else created the object between our look-up and our write: read where it ends
        // and cut again against it, without writing (the next pass of this loop).
        alignment = { seq: first.seq, end: await endOfExisting(first) };
        logger.info(
          { shardId, first: first.sequenceNumber, end: String(alignment.end), how: 'conditional write' },
          'another writer created the object at this batch start: aligning to it',
        );
        continue;
      }
      if (alignment.end !== undefined)
        logger.debug(
          { shardId, first: first.sequenceNumber, end: String(alignment.end) },
          'an object already starts at this batch: taking it as the write',
        );
      const last = batch[batch.length - 1] as Buffered<T>;
      await checkpoint(checkpointer, last.sequenceNumber);
      buffer = buffer.slice(decision.flush);
      bytes = buffer.reduce((n, b) => n + b.bytes, 0);
      openedAt = buffer.length > 0 ? now() : undefined;
      logger.debug({ shardId, records: batch.length, last: last.sequenceNumber }, 'batch flushed');
      sink.written?.(shardId, batch);
    }
  };

  // A failure here is not about data (the sink dead-letters bad data): S3 unreachable after
  // retries, or a bug. Exit so the daemon restarts this shard from its last checkpoint.
  const exit = options.exit ?? (() => setTimeout(() => process.exit(1), 50));
  const guard = (work: () => Promise<void>, done: () => void) => {
    work().then(done, (error) => {
      logger.fatal(
        { shardId, err: error },
        'record processor failed; exiting so the shard restarts from its checkpoint',
      );
      exit(error);
    });
  };

  return {
    initialize(input, done) {
      shardId = input.shardId;
      logger.info({ shardId, from: input.sequenceNumber }, 'processor initialised');
      done();
    },
    processRecords(input, done) {
      guard(async () => {
        if (lostShard) return;
        const calledAt = now();
        if (lastCallAt !== undefined) callIntervalMs = calledAt - lastCallAt;
        lastCallAt = calledAt;
        for (const record of input.records) {
          const data = Buffer.from(record.data, 'base64');
          buffer.push({
            sequenceNumber: record.sequenceNumber,
            seq: BigInt(record.sequenceNumber),
            partitionKey: record.partitionKey,
            arrival: record.approximateArrivalTimestamp ?? now(),
            bytes: data.byteLength,
            item: sink.decode(record, data),
          });
          bytes += data.byteLength;
        }
        if (buffer.length > 0 && openedAt === undefined) openedAt = now();
        await flush(input.checkpointer, false);
      }, done);
    },
    leaseLost(_input, done) {
      // Another worker owns the shard now and will redo what was not checkpointed.
      logger.info({ shardId, dropped: buffer.length }, 'lease lost: dropping unflushed records');
      buffer = [];
      bytes = 0;
      openedAt = undefined;
      lostShard = true;
      done();
    },
    shardEnded(input, done) {
      guard(async () => {
        await flush(input.checkpointer, true);
        // Checkpointing with no sequence number marks the shard's end, so its children may start.
        if (!lostShard) await checkpoint(input.checkpointer, null);
        logger.info({ shardId }, 'shard ended');
      }, done);
    },
    shutdownRequested(input, done) {
      guard(async () => {
        await flush(input.checkpointer, true);
        logger.info({ shardId }, 'shutdown requested: flushed and checkpointed');
      }, done);
    },
  };
}
