// Pure planning for PutRecords: what a record is, how records are grouped into calls within the
// service limits, and which entries of a response failed (the waits are lib/retry.ts's).
import type { Beer } from './sources.js';

export const MAX_RECORDS_PER_CALL = 500;
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
export const MAX_RECORD_BYTES = 1024 * 1024;

export interface Entry {
  Data: Uint8Array;
  PartitionKey: string;
}

/** docs/design.md "Kinesis record": the beer JSON unchanged, partitioned by its id. */
export function toEntry(beer: Beer): Entry {
  return { Data: Buffer.from(JSON.stringify(beer), 'utf8'), PartitionKey: String(beer.id) };
}

export function entrySize(entry: Entry): number {
  return entry.Data.byteLength + Buffer.byteLength(entry.PartitionKey, 'utf8');
}

/** Splits entries into calls of at most 500 records and 5 MiB (data plus partition keys). */
export function planCalls(
  entries: Entry[],
  maxRecords = MAX_RECORDS_PER_CALL,
  maxBytes = MAX_BYTES_PER_CALL,
): Entry[][] {
  const calls: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (current.length > 0 && (current.length >= maxRecords || bytes + size > maxBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

export interface ResultEntry {
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface FailedEntry {
  entry: Entry;
  /** The entry's ErrorCode (ProvisionedThroughputExceededException, InternalFailure, a KMS error...). */
  code: string;
  error: string;
}

/** The entries whose result carries an error code, with that error; results match by position. */
export function failedEntries(sent: Entry[], results: ResultEntry[]): FailedEntry[] {
  const failed: FailedEntry[] = [];
  sent.forEach((entry, i) => {
    const result = results[i];
    if (!result) failed.push({ entry, code: 'InternalFailure', error: 'no result for this entry' });
    else if (result.ErrorCode)
      failed.push({
        entry,
        code: result.ErrorCode,
        error: `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`.trim(),
      });
  });
  return failed;
}
