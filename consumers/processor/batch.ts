// Pure batch bookkeeping for a record processor: what a buffered record is, when a batch is due,
// and where it must end so that a replay rewrites an earlier object exactly (docs/design.md "Cleaned objects").

export interface Buffered<T> {
  /** The sequence number as Kinesis gave it, and as a BigInt for ordering (lengths vary). */
  sequenceNumber: string;
  seq: bigint;
  partitionKey: string;
  /** Approximate arrival time, epoch ms. */
  arrival: number;
  bytes: number;
  item: T;
}

export interface Bounds {
  maxRecords: number;
  maxBytes: number;
  maxAgeMs: number;
}

export interface BatchState {
  count: number;
  bytes: number;
  /** When the oldest buffered record was buffered (ms), undefined when empty. */
  openedAt: number | undefined;
  /** The time between the last two processRecords calls (ms), 0 when unknown: the next is expected as far off. */
  callIntervalMs?: number;
}

export type Due = 'records' | 'bytes' | 'age' | 'forced' | undefined;

export function due(state: BatchState, bounds: Bounds, now: number, force = false): Due {
  if (state.count === 0) return undefined;
  if (force) return 'forced';
  if (state.count >= bounds.maxRecords) return 'records';
  if (state.bytes >= bounds.maxBytes) return 'bytes';
  // The age bound is checked only when a call comes, so it is met at the last call before it would
  // be passed: the one after which waiting for the next (expected one interval away, at most half
  // the bound) would leave the oldest record older than maxAgeMs. Judged at the call after, a batch
  // went out up to a poll interval late (1.0-1.2 s old at 1 s and the local daemon's 200 ms).
  const nextCallInMs = Math.min(state.callIntervalMs ?? 0, bounds.maxAgeMs / 2);
  if (state.openedAt !== undefined && now - state.openedAt + nextCallInMs >= bounds.maxAgeMs) return 'age';
  return undefined;
}

export type Cut = { flush: number } | { wait: true };

/**
 * How many buffered records the next object takes. With no earlier object at the first record,
 * everything up to the record bound. With one, exactly up to its last sequence number: if the
 * buffer does not reach it yet, wait for more records rather than write a shorter, overlapping object.
 */
export function cut<T>(buffer: Buffered<T>[], maxRecords: number, existingEnd: bigint | undefined): Cut {
  if (existingEnd === undefined) return { flush: Math.min(buffer.length, maxRecords) };
  const last = buffer[buffer.length - 1];
  if (!last || last.seq < existingEnd) return { wait: true };
  let n = 0;
  while (n < buffer.length && (buffer[n] as Buffered<T>).seq <= existingEnd) n += 1;
  return { flush: n };
}

/** UTC date partition (YYYY-MM-DD) of an arrival time. */
export function dtOf(arrival: number): string {
  return new Date(arrival).toISOString().slice(0, 10);
}
