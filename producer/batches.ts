// Pure planning for PutRecords: what a record is, how records are grouped into calls within the
// service limits, which entries of a response failed, and how long to wait before a retry.
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

/** The entries whose result carries an error code, with that error; results match by position. */
export function failedEntries(sent: Entry[], results: ResultEntry[]): Array<{ entry: Entry; error: string }> {
  const failed: Array<{ entry: Entry; error: string }> = [];
  sent.forEach((entry, i) => {
    const result = results[i];
    if (!result) failed.push({ entry, error: 'no result for this entry' });
    else if (result.ErrorCode)
      failed.push({ entry, error: `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`.trim() });
  });
  return failed;
}

/** Exponential backoff with full jitter: a random wait in [0, base * 2^attempt], capped. */
export function backoffMs(attempt: number, baseMs: number, capMs = 20_000, random = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
