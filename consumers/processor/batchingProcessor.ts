// The adapter every brewstream record processor runs under `aws-kcl`: it buffers decoded records
// per shard, flushes a batch through its sink when a bound is reached (checked on every
// processRecords call, empty ones included, so an age-bound batch goes out while the stream is
// quiet), and checkpoints a batch's last sequence number only after the sink has durably written it.
// Shaped like the click-stream sample of amazon-kinesis-client-nodejs, typed and exactly-once even
// while two processors hold the same shard (docs/design.md "Cleaned objects"): a batch's object is
// named by its first record and created only if absent; whoever comes second ends its batch where
// the existing object ends and takes that object as its write.
import type { Checkpointer, KclRecord, RecordProcessor } from 'aws-kcl';
import type { Logger } from '../../lib/logger.js';
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
  /** Attempts for a sink write before the processor gives up (and its daemon restarts it). */
  writeAttempts?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Checkpoint errors that retrying cannot fix. */
const FATAL_CHECKPOINT_ERRORS = ['ShutdownException', 'InvalidStateException'];

export function batchingProcessor<T>(sink: Sink<T>, options: ProcessorOptions): RecordProcessor {
  const { bounds, logger } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? wait;
  const writeAttempts = options.writeAttempts ?? 8;
  let shardId = 'unknown';
  let buffer: Buffered<T>[] = [];
  let bytes = 0;
  let openedAt: number | undefined;
  let lostShard = false;
  // The existing-object lookup is made once per batch start, not on every poll.
  let alignment: { seq: bigint; end: bigint | undefined } | undefined;

  const checkpoint = async (checkpointer: Checkpointer, sequenceNumber: string | null): Promise<void> => {
    for (let attempt = 0; ; attempt += 1) {
      const error = await new Promise<unknown>((resolve) =>
        checkpointer.checkpoint(sequenceNumber, (err) => resolve(err)),
      );
      if (!error) return;
      const name = String(error);
      if (FATAL_CHECKPOINT_ERRORS.some((fatal) => name.includes(fatal)) || attempt >= 4) {
        // This processor no longer owns the shard, or its daemon is in trouble. What is written but
        // not checkpointed is replayed and rewritten identically; exiting lets the daemon decide.
        throw new Error(`checkpoint at ${sequenceNumber ?? 'shard end'} refused: ${name}`);
      }
      logger.warn({ shardId, sequenceNumber, error: name, attempt }, 'checkpoint failed: retrying');
      await sleep(100 * 2 ** attempt);
    }
  };

  const writeWithRetry = async (batch: Buffered<T>[]): Promise<'written' | 'exists'> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await sink.write(shardId, batch);
      } catch (error) {
        if (attempt + 1 >= writeAttempts) throw error;
        logger.warn({ shardId, err: error, attempt }, 'batch write failed: retrying');
        await sleep(Math.min(10_000, 200 * 2 ** attempt));
      }
    }
  };

  /** Where an object already starting at `first` ends; it must exist (a write was just refused). */
  const endOfExisting = async (first: Buffered<T>): Promise<bigint> => {
    const end = await sink.existingEnd(shardId, first);
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
    while (!lostShard && due({ count: buffer.length, bytes, openedAt }, bounds, now(), force)) {
      const first = buffer[0] as Buffered<T>;
      if (alignment?.seq !== first.seq)
        alignment = { seq: first.seq, end: await sink.existingEnd(shardId, first) };
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
  const guard = (work: () => Promise<void>, done: () => void) => {
    work().then(done, (error) => {
      logger.fatal(
        { shardId, err: error },
        'record processor failed; exiting so the shard restarts from its checkpoint',
      );
      setTimeout(() => process.exit(1), 50);
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
