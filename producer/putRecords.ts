// Puts entries on the stream with as few calls as the limits allow, retrying only the entries
// that failed (throttling, internal errors) with exponential backoff and jitter. A record that
// still fails after the retry budget is logged with its partition key (the beer id) and counted:
// never dropped silently.
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Logger } from '../lib/logger.js';
import { backoffMs, type Entry, entrySize, failedEntries, MAX_RECORD_BYTES, planCalls } from './batches.js';

export interface PutOptions {
  streamName: string;
  maxAttempts: number;
  baseBackoffMs: number;
  logger: Logger;
  /** Called after each call with the running count of records put. */
  onProgress?: (put: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface PutOutcome {
  put: number;
  failed: Array<{ partitionKey: string; error: string }>;
  calls: number;
  retried: number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function putAll(
  kinesis: KinesisClient,
  entries: Entry[],
  options: PutOptions,
): Promise<PutOutcome> {
  const outcome: PutOutcome = { put: 0, failed: [], calls: 0, retried: 0 };
  const sleep = options.sleep ?? wait;
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

  for (const call of planCalls(sendable)) {
    let pending = call;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      let errors: Array<{ entry: Entry; error: string }>;
      try {
        outcome.calls += 1;
        const response = await kinesis.send(
          new PutRecordsCommand({ StreamName: options.streamName, Records: pending }),
        );
        errors = failedEntries(pending, response.Records ?? []);
      } catch (error) {
        // The whole call failed (throttled, network): every entry in it is retried.
        const message = `${(error as Error).name}: ${(error as Error).message}`;
        errors = pending.map((entry) => ({ entry, error: message }));
      }
      outcome.put += pending.length - errors.length;
      if (errors.length === 0) break;
      if (attempt + 1 >= options.maxAttempts) {
        for (const { entry, error } of errors) {
          options.logger.error(
            { beerId: entry.PartitionKey, error, attempts: attempt + 1 },
            'record not put after retries',
          );
          outcome.failed.push({ partitionKey: entry.PartitionKey, error });
        }
        break;
      }
      outcome.retried += errors.length;
      const delay = backoffMs(attempt, options.baseBackoffMs);
      options.logger.warn(
        { failed: errors.length, attempt: attempt + 1, retryInMs: delay, firstError: errors[0]?.error },
        'retrying failed records',
      );
      await sleep(delay);
      pending = errors.map(({ entry }) => entry);
    }
    options.onProgress?.(outcome.put);
  }
  return outcome;
}
