// The inference log's pure parts (docs/design.md "Inference log"): the bounded buffer of rows
// waiting for S3, the decision of when to write, the objects a batch of rows becomes, and the
// window of recent rows kept in memory. The plugin (plugins/inferenceLog.ts) does the I/O.
import { predictionLogKey } from '../lib/cleanedKeys.js';
import type { FeatureInput } from '../lib/features.js';
import { linesToBuffer } from '../lib/lines.js';

/**
 * One logged row as the log keeps it: its line, serialised when it was logged (a row's numbers and
 * nested objects would be ~20 heap objects each, which every young-generation collection must copy
 * while the row waits; one flat string is cheap to keep), and what deciding and naming a write needs.
 */
export interface LoggedLine {
  seq: number;
  time: string;
  /** The row with its instance as one JSON object (one JSONL line, no newline). */
  line: string;
}

/**
 * A row to log, with this process's instance name. Its inputs are the request's own object: the
 * line drops fields that are absent (undefined), as LogRow's `inputs` wants, with no copy.
 */
export type RowToLog = Omit<LogRow, 'inputs'> & { inputs: FeatureInput; instance: string };

/** A row as the log keeps it: the row as its line. */
export const loggedLine = (row: RowToLog): LoggedLine => ({
  seq: row.seq,
  time: row.time,
  line: JSON.stringify(row),
});

/** A logged line read back (for the window's readers): our own serialisation of a LogRow. */
export const parseLogged = (logged: LoggedLine): LogRow & { instance: string } =>
  JSON.parse(logged.line) as LogRow & { instance: string };

/** One logged prediction row: a row of a single or batch request. */
export interface LogRow {
  /** The instance's row number, from 1 (a gap in an object's range is rows dropped). */
  seq: number;
  time: string;
  requestId: string;
  version: string;
  /** The inputs as the request sent them. */
  inputs: Readonly<Record<string, number | null>>;
  /** The inputs the model saw: the data fixes applied and missing values imputed. */
  features: Readonly<Record<string, number>> | null;
  ibu: number;
  band: string;
  latencyMs: number;
  /** The first 12 hex digits of the SHA-256 of the request's valid API key; never the key. */
  keyDigest: string | null;
}

/**
 * Rows waiting to be written, at most `maxRows`: past that the oldest go first (a log that cannot
 * be written must never hold unbounded memory, nor fail a prediction), counted in `dropped`.
 */
export class BoundedBuffer<T> {
  private rows: T[] = [];
  dropped = 0;

  constructor(private readonly maxRows: number) {}

  get size(): number {
    return this.rows.length;
  }

  get oldest(): T | undefined {
    return this.rows[0];
  }

  /** Adds rows at the end; returns how many old ones this dropped. */
  push(...rows: T[]): number {
    this.rows.push(...rows);
    return this.trim();
  }

  /** Takes up to `n` of the oldest rows. */
  take(n: number): T[] {
    return this.rows.splice(0, n);
  }

  /** Puts rows that could not be written back in front; returns how many old ones this dropped. */
  giveBack(rows: T[]): number {
    this.rows = rows.concat(this.rows);
    return this.trim();
  }

  private trim(): number {
    const over = this.rows.length - this.maxRows;
    if (over <= 0) return 0;
    this.rows.splice(0, over);
    this.dropped += over;
    return over;
  }
}

export interface FlushState {
  rows: number;
  /** When the oldest waiting row was logged (ms); undefined with none. */
  oldestAtMs: number | undefined;
  /** No write before this (ms), after a failed one. */
  retryAtMs: number;
}

/**
 * How many of the waiting rows to write now (0: none). By size, only whole objects of `flushRows`:
 * rows that arrive while a write is in flight wait for the next decision, never a write of their
 * own, so a busy server writes full objects (a flush that wrote "until nothing waits" became a
 * stream of objects of a few dozen rows under load, each a PUT). By age (the oldest waited
 * `flushMs`), every waiting row. Nothing with none waiting or before a retry time.
 */
export function rowsToWrite(
  state: FlushState,
  nowMs: number,
  options: { flushRows: number; flushMs: number },
): number {
  if (state.rows === 0 || nowMs < state.retryAtMs) return 0;
  if (state.oldestAtMs !== undefined && nowMs - state.oldestAtMs >= options.flushMs) return state.rows;
  return state.rows - (state.rows % options.flushRows);
}

export interface LogObject {
  key: string;
  /** The rows' lines, each ending in a newline, as UTF-8. */
  body: Buffer;
  rows: LoggedLine[];
}

/**
 * The objects a batch of rows (in logging order) becomes: one per UTC date of the rows' times,
 * named by its first and last row numbers; newline-delimited JSON, one row a line.
 */
export function logObjects(rows: readonly LoggedLine[], instance: string): LogObject[] {
  const byDate = new Map<string, LoggedLine[]>();
  for (const row of rows) {
    const dt = row.time.slice(0, 10);
    const list = byDate.get(dt);
    if (list) list.push(row);
    else byDate.set(dt, [row]);
  }
  return [...byDate].map(([dt, list]) => ({
    key: predictionLogKey(
      dt,
      instance,
      (list[0] as LoggedLine).seq,
      (list[list.length - 1] as LoggedLine).seq,
    ),
    body: linesToBuffer(
      list.map((row) => row.line),
      '\n',
    ),
    rows: list,
  }));
}

/** The last `capacity` items, oldest first; a ring, so adding is O(1) whatever the capacity. */
export class RecentWindow<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  add(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count += 1;
  }

  get size(): number {
    return this.count;
  }

  /** Everything held, oldest first. */
  all(): T[] {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    return Array.from({ length: this.count }, (_, i) => this.items[(start + i) % this.capacity] as T);
  }

  /** Up to `n` of the newest, newest first. */
  newest(n: number): T[] {
    const k = Math.min(n, this.count);
    return Array.from(
      { length: k },
      (_, i) => this.items[(this.next - 1 - i + this.capacity * 2) % this.capacity] as T,
    );
  }
}
