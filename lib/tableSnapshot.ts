// Table snapshots (docs/design.md "Table snapshots"): the pure rules. A snapshot is the whole
// cleaned table at one moment, each row with the arrival of the rows/ object it came from, plus a
// manifest that says exactly which rows/ objects it holds: every object in a date partition before
// `listFrom`, and, from `listFrom` on, the objects named in `covered`. Coverage is decided by key,
// never by time, so an object landing in an already-listed partition during a compaction is simply
// not covered and is read on top of the snapshot.
import { type Static, Type } from 'typebox';
import { CLEANED_COLUMNS, type CleanedRow } from './beer.js';
import { cleanedCsvLine, csvField, decodeCleanedFields, parseCsv } from './cleanedCsv.js';
import { dtOfRowsKey, rowsListStartAfter } from './cleanedKeys.js';
import { documentReader } from './document.js';
import { tableQualitySchema } from './tableQuality.js';

/**
 * How far back a compaction keeps listing date partitions: an object can land in a partition this
 * old (a consumer behind by up to the stream's retention, 24 h by default, plus a batch's age). An
 * object landing in a partition older than a snapshot's `listFrom` is never read (see design.md).
 */
export const LATE_DAYS = 7;
/** Snapshots kept after a new one is written; older ones are deleted. */
export const KEEP_SNAPSHOTS = 3;

export const manifestSchema = Type.Object({
  snapshot: Type.Integer({ minimum: 1 }),
  previous: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  createdAt: Type.String(),
  /** The snapshot's CSV, under snapshots/<n>/. */
  table: Type.String(),
  /** SHA-256 of the CSV's bytes, checked on every read. */
  tableSha256: Type.String(),
  rows: Type.Integer({ minimum: 0 }),
  /** The table's content hash (as CleanedTable.contentHash). */
  contentHash: Type.String(),
  /** Every rows/ object in a partition dt < listFrom is in the snapshot. */
  listFrom: Type.String({ pattern: '^\\d{4}-\\d\\d-\\d\\d$' }),
  /** The rows/ objects in partitions dt >= listFrom that are in the snapshot. */
  covered: Type.Array(Type.String()),
  /** How many rows/ objects the snapshot holds in all. */
  objects: Type.Integer({ minimum: 0 }),
  /** The newest LastModified of those objects. */
  lastModified: Type.Union([Type.String(), Type.Null()]),
  /** The table's data-quality summary (lib/tableQuality.ts); absent from snapshots written before it. */
  quality: Type.Optional(tableQualitySchema),
});
export type Manifest = Static<typeof manifestSchema>;
export const manifestDocument = documentReader(manifestSchema);

/**
 * A row's arrival as one string that sorts like (date partition, LastModified, key): the order
 * "latest arrival wins" follows. ISO times and dates have fixed widths, so comparing the strings
 * compares the fields in turn.
 */
export function arrivalOf(key: string, lastModified: Date): string {
  return `${dtOfRowsKey(key) ?? '0000-00-00'} ${lastModified.toISOString()} ${key}`;
}

/**
 * When a row arrived, in ms since the epoch: the LastModified inside an arrival string, or its date
 * partition when that does not parse (NaN for neither).
 */
export function arrivalMs(arrival: string): number {
  const time = Date.parse(arrival.slice(11, 35));
  return Number.isNaN(time) ? Date.parse(arrival.slice(0, 10)) : time;
}

export interface ArrivedRow {
  row: CleanedRow;
  arrival: string;
}

export interface RowsObject {
  key: string;
  arrival: string;
  rows: CleanedRow[];
}

/**
 * Latest arrival wins, per id: the objects are applied in arrival order on top of the base, a row
 * replacing what is there unless that arrived later (a late object in an old partition loses to a
 * newer one already in the snapshot); later rows of one object win over earlier ones.
 */
export function applyObjects(base: Map<number, ArrivedRow>, objects: RowsObject[]): Map<number, ArrivedRow> {
  const merged = new Map(base);
  const ordered = [...objects].sort((a, b) => (a.arrival < b.arrival ? -1 : a.arrival > b.arrival ? 1 : 0));
  for (const object of ordered) {
    for (const row of object.rows) {
      const current = merged.get(row.id);
      if (!current || current.arrival <= object.arrival) merged.set(row.id, { row, arrival: object.arrival });
    }
  }
  return merged;
}

/** The keys a load must read on top of the snapshot: every listed rows/ object it does not cover. */
export function uncoveredKeys(listed: string[], manifest: Manifest | undefined): string[] {
  const covered = new Set(manifest?.covered ?? []);
  return listed.filter((key) => {
    const dt = dtOfRowsKey(key);
    if (dt === undefined) return false;
    if (manifest && dt < manifest.listFrom) return false;
    return !covered.has(key);
  });
}

/** Where a load lists rows/: from the snapshot's first listed partition, or everything. */
export function listStartAfter(manifest: Manifest | undefined): string | undefined {
  return manifest ? rowsListStartAfter(manifest.listFrom) : undefined;
}

/** `LATE_DAYS` before `now`'s UTC date, never before the previous snapshot's (a clock going back). */
export function nextListFrom(previous: Manifest | undefined, now: Date): string {
  const floor = new Date(now.getTime() - LATE_DAYS * 86_400_000).toISOString().slice(0, 10);
  return previous && previous.listFrom > floor ? previous.listFrom : floor;
}

/** The manifest's `covered` for a new snapshot holding the previous one plus `added`. */
export function nextCovered(previous: Manifest | undefined, added: string[], listFrom: string): string[] {
  const all = new Set([...(previous?.covered ?? []), ...added]);
  return [...all].filter((key) => (dtOfRowsKey(key) ?? '') >= listFrom).sort();
}

/** Snapshot numbers to delete once `latest` is written: all but the last KEEP_SNAPSHOTS. */
export function snapshotsToDelete(numbers: number[], latest: number): number[] {
  return [...new Set(numbers)].filter((n) => n <= latest - KEEP_SNAPSHOTS).sort((a, b) => a - b);
}

export const SNAPSHOT_HEADER = [...CLEANED_COLUMNS, 'arrival'].join(',');

/** One snapshot row's line, without its line end. */
export const snapshotCsvLine = ({ row, arrival }: ArrivedRow) =>
  `${cleanedCsvLine(row)},${csvField(arrival)}`;

/** A snapshot's CSV: the cleaned columns (same encoding as rows/ objects) plus each row's arrival. */
export function encodeSnapshotCsv(rows: Iterable<ArrivedRow>): string {
  const lines = [SNAPSHOT_HEADER];
  for (const arrived of rows) lines.push(snapshotCsvLine(arrived));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * A snapshot's fields (as parseCsv splits a line) as a row and its arrival; `line` (1-based)
 * names the line in the error of a bad one.
 */
export function decodeSnapshotFields(fields: string[], line: number): ArrivedRow {
  if (fields.length !== CLEANED_COLUMNS.length + 1)
    throw new Error(`line ${line}: expected ${CLEANED_COLUMNS.length + 1} fields, got ${fields.length}`);
  return { row: decodeCleanedFields(fields, line), arrival: fields[CLEANED_COLUMNS.length] as string };
}

export function decodeSnapshotCsv(text: string): Map<number, ArrivedRow> {
  const records = parseCsv(text);
  const header = records[0]?.join(',');
  if (header !== SNAPSHOT_HEADER)
    throw new Error(`header: expected "${SNAPSHOT_HEADER}", got "${header ?? ''}"`);
  const rows = new Map<number, ArrivedRow>();
  for (let line = 1; line < records.length; line += 1) {
    const arrived = decodeSnapshotFields(records[line] as string[], line + 1);
    if (rows.has(arrived.row.id)) throw new Error(`line ${line + 1}: id ${arrived.row.id} twice`);
    rows.set(arrived.row.id, arrived);
  }
  return rows;
}
