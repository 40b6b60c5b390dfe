// Puts entries on the stream with as few calls as the limits allow, retrying only the entries
// that failed (throttling, internal errors) under the retry policy (lib/retry.ts: exponential
// backoff with full jitter, PRODUCER_MAX_ATTEMPTS attempts in all; the producer's Kinesis client
// makes no retries of its own). An error retrying cannot fix (AccessDenied, a missing stream, a
// KMS key refused) is not retried. A record still failing is logged with its partition key (the
// beer id) and counted: never dropped silently.
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { isRetryable, TransientError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { retry } from '../lib/retry.js';
import {
  type Entry,
  entrySize,
  type FailedEntry,
  failedEntries,
  MAX_RECORD_BYTES,
  planCalls,
} from './batches.js';

export interface PutOptions {
  streamName: string;
  maxAttempts: number;
  baseBackoffMs: number;
  logger: Logger;
  /** Called after each call with the running count of records put. */
  onProgress?: (put: number) => void;
  /** Aborting ends a retry wait at once; the entries not yet put are then reported as failed. */
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
}

export interface PutOutcome {
  put: number;
  failed: Array<{ partitionKey: string; error: string }>;
  calls: number;
  retried: number;
}

/** Longest wait between two attempts of one call. */
const BACKOFF_CAP_MS = 20_000;

/** Some entries of a call failed with errors worth another attempt. */
class EntriesFailed extends TransientError {
  constructor(readonly entries: FailedEntry[]) {
    super(`${entries.length} record(s) failed, first: ${entries[0]?.error}`);
  }
}

const describeError = (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`;

export async function putAll(
  kinesis: KinesisClient,
  entries: Entry[],
  options: PutOptions,
): Promise<PutOutcome> {
  const outcome: PutOutcome = { put: 0, failed: [], calls: 0, retried: 0 };
  const sendable: Entry[] = [];
  for (const entry of entries) {
    if (entrySize(entry) > MAX_RECORD_BYTES) {
      outcome.failed.push({
        partitionKey: entry.PartitionKey,
        error: `record of ${entrySize(entry)} bytes is over the 1 MiB limit`,
      });
    } else {
      sendable.push(entry);
    }
  }
  const giveUp = (failed: Array<{ entry: Entry; error: string }>, attempts: number) => {
    for (const { entry, error } of failed) {
      options.logger.error({ beerId: entry.PartitionKey, error, attempts }, 'record not put after retries');
      outcome.failed.push({ partitionKey: entry.PartitionKey, error });
    }
  };

  for (const call of planCalls(sendable)) {
    let pending = call;
    let attempts = 0;
    try {
      await retry(
        async (attempt) => {
          attempts = attempt;
          outcome.calls += 1;
          const response = await kinesis.send(
            new PutRecordsCommand({ StreamName: options.streamName, Records: pending }),
          );
          const failed = failedEntries(pending, response.Records ?? []);
          outcome.put += pending.length - failed.length;
          // An entry whose error retrying cannot fix (a KMS key refused) is reported now.
          const hopeless = failed.filter((f) => !isRetryable({ name: f.code }));
          giveUp(hopeless, attempt);
          const again = failed.filter((f) => isRetryable({ name: f.code }));
          pending = again.map((f) => f.entry);
          if (again.length > 0) throw new EntriesFailed(again);
        },
        {
          attempts: options.maxAttempts,
          baseMs: options.baseBackoffMs,
          capMs: BACKOFF_CAP_MS,
          signal: options.signal,
          sleep: options.sleep,
          // Entries failing, or the whole call failing for a reason worth another try (throttled, 5xx, network).
          retryable: isRetryable,
          onRetry: (error, attempt, waitMs) => {
            outcome.retried += pending.length;
            options.logger.warn(
              {
                failed: pending.length,
                attempt,
                retryInMs: waitMs,
                firstError: error instanceof EntriesFailed ? error.entries[0]?.error : describeError(error),
              },
              'retrying failed records',
            );
          },
        },
      );
    } catch (error) {
      giveUp(
        error instanceof EntriesFailed
          ? error.entries
          : pending.map((entry) => ({ entry, error: describeError(error) })),
        attempts,
      );
    }
    options.onProgress?.(outcome.put);
  }
  return outcome;
}
