// The cleaned table (docs/design.md "The cleaned table"): one row per beer id over every rows/
// object, the latest arrival winning. Read as the latest snapshot (lib/tableSnapshot.ts) plus only
// the rows/ objects it does not cover, listed from the snapshot's first listed date partition on;
// compaction writes the next snapshot. Used by the trainer (which compacts) and the server's /table.
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CleanedRow } from './beer.js';
import {
  CLEANED_CSV_HEADER,
  cleanedCsvLine,
  decodeCleanedCsv,
  encodeCleanedCsv,
  parseCsv,
} from './cleanedCsv.js';
import {
  manifestKey,
  manifestNumber,
  ROWS_PREFIX,
  SNAPSHOTS_PREFIX,
  snapshotNumber,
  tableKey,
} from './cleanedKeys.js';
import { CorruptObjectError, TransientError } from './errors.js';
import {
  getObjectChunks,
  getObjectText,
  getObjectTextIfExists,
  inParallel,
  listObjects,
  type ObjectSummary,
  putObject,
  putObjectIfAbsent,
} from './s3.js';
import { type TableQuality, tableQuality } from './tableQuality.js';
import {
  type ArrivedRow,
  applyObjects,
  arrivalOf,
  decodeSnapshotCsv,
  decodeSnapshotFields,
  encodeSnapshotCsv,
  listStartAfter,
  type Manifest,
  manifestDocument,
  nextCovered,
  nextListFrom,
  type RowsObject,
  SNAPSHOT_HEADER,
  snapshotCsvLine,
  snapshotsToDelete,
  uncoveredKeys,
} from './tableSnapshot.js';

/** GETs in flight at once while reading rows/ objects. */
export const READ_CONCURRENCY = 16;

export interface TableLineage {
  /** The snapshot the table was read from; null before the first compaction. */
  snapshot: number | null;
  /** rows/ objects the snapshot holds. */
  snapshotObjects: number;
  /** rows/ objects read on top of it, and the SHA-256 of their sorted keys (one per line). */
  objectsAfter: number;
  objectsAfterHash: string;
}

export interface CleanedTable {
  /** One row per id, sorted by id. */
  rows: CleanedRow[];
  /** sha256 of the table's canonical CSV (rows sorted by id): the same data has the same hash. */
  contentHash: string;
  lastModified: Date | undefined;
  lineage: TableLineage;
}

/** What a load read, kept for compacting it into the next snapshot. */
export interface LoadedTable extends CleanedTable {
  manifest: Manifest | undefined;
  merged: Map<number, ArrivedRow>;
  /** The rows/ objects read on top of the snapshot. */
  uncovered: string[];
}

/** The highest snapshot number that has a manifest; a snapshot without one is not there. */
async function latestSnapshotNumber(s3: S3Client, bucket: string): Promise<number | undefined> {
  const numbers = (await listObjects(s3, bucket, SNAPSHOTS_PREFIX))
    .map(({ key }) => manifestNumber(key))
    .filter((n): n is number => n !== undefined);
  return numbers.length === 0 ? undefined : Math.max(...numbers);
}

/**
 * How many times a load starts again from the newest manifest when what it was reading (a listed
 * manifest, or the CSV a manifest names) has just been deleted by a compactor, which keeps only
 * the last KEEP_SNAPSHOTS: each time means another compaction committed meanwhile, so a few are
 * plenty.
 */
const SNAPSHOT_REREADS = 5;

/** The manifest of the latest snapshot, or undefined if there is none. */
export async function latestManifest(s3: S3Client, bucket: string): Promise<Manifest | undefined> {
  for (let attempt = 1; attempt <= SNAPSHOT_REREADS; attempt += 1) {
    const n = await latestSnapshotNumber(s3, bucket);
    if (n === undefined) return undefined;
    const key = manifestKey(n);
    const text = await getObjectTextIfExists(s3, bucket, key);
    if (text !== undefined) return manifestDocument.parse(text, `s3://${bucket}/${key}`);
  }
  throw rereadsExhausted();
}

const rereadsExhausted = () =>
  new SnapshotsChurningError(
    `snapshots/: the latest snapshot was deleted under the reader ${SNAPSHOT_REREADS} times in a row`,
  );

/** Compactions kept deleting what a load was about to read; the next load will find it still. */
class SnapshotsChurningError extends TransientError {}

/** The snapshot's rows; undefined when its CSV is gone. */
async function readSnapshotRows(
  s3: S3Client,
  bucket: string,
  manifest: Manifest,
): Promise<Map<number, ArrivedRow> | undefined> {
  const where = `s3://${bucket}/${manifest.table}`;
  const text = await getObjectTextIfExists(s3, bucket, manifest.table);
  if (text === undefined) return undefined;
  if (sha256(text) !== manifest.tableSha256)
    throw new CorruptObjectError(where, "SHA-256 differs from its manifest's tableSha256");
  try {
    return decodeSnapshotCsv(text);
  } catch (error) {
    throw new CorruptObjectError(where, (error as Error).message);
  }
}

/** Reads and decodes rows/ objects; a failed GET stays the DependencyError it is (retriable or not). */
async function readObjects(s3: S3Client, bucket: string, objects: ObjectSummary[]): Promise<RowsObject[]> {
  const read: RowsObject[] = [];
  await inParallel(objects, READ_CONCURRENCY, async ({ key, lastModified }) => {
    const text = await getObjectText(s3, bucket, key);
    try {
      read.push({ key, arrival: arrivalOf(key, lastModified), rows: decodeCleanedCsv(text) });
    } catch (error) {
      throw new CorruptObjectError(`s3://${bucket}/${key}`, (error as Error).message);
    }
  });
  return read;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The latest snapshot plus the rows/ objects it does not cover. A CSV that its manifest names but
 * that is gone was deleted by a compactor that committed a newer snapshot: the load starts again
 * from the newest manifest. Only a CSV that the newest manifest names and that is missing (or
 * differs from its checksum) is corrupt.
 */
export async function loadCleanedTable(s3: S3Client, bucket: string): Promise<LoadedTable> {
  for (let attempt = 1; attempt <= SNAPSHOT_REREADS; attempt += 1) {
    const manifest = await latestManifest(s3, bucket);
    const [base, listed] = await Promise.all([
      manifest ? readSnapshotRows(s3, bucket, manifest) : new Map<number, ArrivedRow>(),
      listObjects(s3, bucket, ROWS_PREFIX, listStartAfter(manifest)),
    ]);
    if (base) return loadOnTop(s3, bucket, manifest, base, listed);
    if ((await latestSnapshotNumber(s3, bucket)) === manifest?.snapshot) {
      throw new CorruptObjectError(
        `s3://${bucket}/${manifest?.table}`,
        'missing, though the latest manifest names it',
      );
    }
  }
  throw rereadsExhausted();
}

async function loadOnTop(
  s3: S3Client,
  bucket: string,
  manifest: Manifest | undefined,
  base: Map<number, ArrivedRow>,
  listed: ObjectSummary[],
): Promise<LoadedTable> {
  const uncovered = new Set(
    uncoveredKeys(
      listed.map((o) => o.key),
      manifest,
    ),
  );
  const objects = listed.filter((o) => uncovered.has(o.key));
  const merged = applyObjects(base, await readObjects(s3, bucket, objects));
  const rows = [...merged.values()].map((r) => r.row).sort((a, b) => a.id - b.id);
  const newest = objects.reduce<Date | undefined>(
    (latest, o) => (!latest || o.lastModified > latest ? o.lastModified : latest),
    manifest?.lastModified ? new Date(manifest.lastModified) : undefined,
  );
  const uncoveredSorted = [...uncovered].sort();
  return {
    rows,
    contentHash: sha256(encodeCleanedCsv(rows)),
    lastModified: newest,
    lineage: {
      snapshot: manifest?.snapshot ?? null,
      snapshotObjects: manifest?.objects ?? 0,
      objectsAfter: uncoveredSorted.length,
      objectsAfterHash: sha256(uncoveredSorted.map((key) => `${key}\n`).join('')),
    },
    manifest,
    merged,
    uncovered: uncoveredSorted,
  };
}

export type Compaction =
  | { outcome: 'written'; snapshot: number; deleted: number[] }
  | { outcome: 'unchanged'; snapshot: number | null }
  | { outcome: 'lost'; snapshot: number };

/**
 * Writes what a load read as the next snapshot: the CSV under a name of its own, then the manifest
 * with a conditional put, the commit point (a reader never sees one without the other, and of two
 * compactors of the same number one wins, the other's CSV stays an unreferenced file). Then deletes
 * the snapshots older than the last KEEP_SNAPSHOTS.
 */
export async function compactCleanedTable(
  s3: S3Client,
  bucket: string,
  loaded: LoadedTable,
  now = new Date(),
): Promise<Compaction> {
  const previous = loaded.manifest;
  if (loaded.uncovered.length === 0) return { outcome: 'unchanged', snapshot: previous?.snapshot ?? null };
  const n = (previous?.snapshot ?? 0) + 1;
  const csv = encodeSnapshotCsv([...loaded.merged.values()].sort((a, b) => a.row.id - b.row.id));
  const table = tableKey(n, randomBytes(4).toString('hex'));
  await putObjectIfAbsent(s3, bucket, table, csv, 'text/csv');
  return commitSnapshot(s3, bucket, {
    n,
    previous,
    table,
    tableSha256: sha256(csv),
    rows: loaded.rows.length,
    contentHash: loaded.contentHash,
    uncovered: loaded.uncovered,
    lastModified: loaded.lastModified,
    now,
    quality: tableQuality(loaded.rows, now),
  });
}

/**
 * Commits snapshot `n`, whose CSV is written: the manifest with a conditional put (of two
 * compactors of the same number one wins), then deletes the snapshots older than the last
 * KEEP_SNAPSHOTS.
 */
async function commitSnapshot(
  s3: S3Client,
  bucket: string,
  c: {
    n: number;
    previous: Manifest | undefined;
    table: string;
    tableSha256: string;
    rows: number;
    contentHash: string;
    uncovered: string[];
    lastModified: Date | undefined;
    now: Date;
    /** The table's quality summary; the streamed compaction does not compute it yet. */
    quality?: TableQuality;
  },
): Promise<Compaction> {
  const { n, previous } = c;
  const listFrom = nextListFrom(previous, c.now);
  const manifest: Manifest = {
    snapshot: n,
    previous: previous?.snapshot ?? null,
    createdAt: c.now.toISOString(),
    table: c.table,
    tableSha256: c.tableSha256,
    rows: c.rows,
    contentHash: c.contentHash,
    listFrom,
    covered: nextCovered(previous, c.uncovered, listFrom),
    objects: (previous?.objects ?? 0) + c.uncovered.length,
    lastModified: c.lastModified?.toISOString() ?? null,
    ...(c.quality ? { quality: c.quality } : {}),
  };
  const committed = await putObjectIfAbsent(
    s3,
    bucket,
    manifestKey(n),
    `${JSON.stringify(manifest)}\n`,
    'application/json',
  );
  if (committed === 'exists') return { outcome: 'lost', snapshot: n };
  return { outcome: 'written', snapshot: n, deleted: await deleteOldSnapshots(s3, bucket, n) };
}

async function deleteOldSnapshots(s3: S3Client, bucket: string, latest: number): Promise<number[]> {
  const keys = await listObjects(s3, bucket, SNAPSHOTS_PREFIX);
  const doomed = new Set(
    snapshotsToDelete(
      keys.map(({ key }) => snapshotNumber(key)).filter((n): n is number => n !== undefined),
      latest,
    ),
  );
  const victims = keys.filter(({ key }) => doomed.has(snapshotNumber(key) ?? 0));
  for (let i = 0; i < victims.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: victims.slice(i, i + 1000).map(({ key }) => ({ Key: key })), Quiet: true },
      }),
    );
  }
  return [...doomed];
}

/** Load, then compact what was read: the trainer's read (it keeps the snapshots current). */
export async function loadAndCompact(
  s3: S3Client,
  bucket: string,
  now = new Date(),
): Promise<{ table: CleanedTable; compaction: Compaction }> {
  const loaded = await loadCleanedTable(s3, bucket);
  const compaction = await compactCleanedTable(s3, bucket, loaded, now);
  const table: CleanedTable = {
    rows: loaded.rows,
    contentHash: loaded.contentHash,
    lastModified: loaded.lastModified,
    lineage:
      compaction.outcome === 'written'
        ? {
            snapshot: compaction.snapshot,
            snapshotObjects: (loaded.manifest?.objects ?? 0) + loaded.uncovered.length,
            objectsAfter: 0,
            objectsAfterHash: sha256(''),
          }
        : loaded.lineage,
  };
  return { table, compaction };
}

/** What a streamed read of the table gives besides the rows themselves. */
export interface FoldedTable extends Omit<CleanedTable, 'rows'> {
  /** Rows the table holds. */
  rows: number;
  compaction: Compaction;
}

/** Lines written to the next snapshot at a time: few writes, little held. */
const WRITE_CHUNK_CHARS = 256 * 1024;

/**
 * The trainer's read, in memory that does not grow with the table: every row, once, in id order,
 * handed to `visit` with its arrival, while the snapshot's CSV streams in and the next snapshot
 * streams out (when rows/ objects landed since it). Only the rows/ objects on top of the snapshot
 * are held, folded into one map as each is read (latest arrival wins, as applyObjects). The
 * contentHash, lineage and compaction are those of loadAndCompact on the same objects.
 */
export async function foldAndCompact(
  s3: S3Client,
  bucket: string,
  visit: (row: CleanedRow, arrival: string) => void,
  now = new Date(),
): Promise<FoldedTable> {
  for (let attempt = 1; attempt <= SNAPSHOT_REREADS; attempt += 1) {
    const manifest = await latestManifest(s3, bucket);
    // null: no snapshot yet; undefined: the snapshot's CSV is gone.
    const [chunks, listed] = await Promise.all([
      manifest ? getObjectChunks(s3, bucket, manifest.table) : null,
      listObjects(s3, bucket, ROWS_PREFIX, listStartAfter(manifest)),
    ]);
    if (chunks !== undefined) return foldOnTop(s3, bucket, { manifest, chunks, listed, visit, now });
    if ((await latestSnapshotNumber(s3, bucket)) === manifest?.snapshot) {
      throw new CorruptObjectError(
        `s3://${bucket}/${manifest?.table}`,
        'missing, though the latest manifest names it',
      );
    }
  }
  throw rereadsExhausted();
}

async function foldOnTop(
  s3: S3Client,
  bucket: string,
  read: {
    manifest: Manifest | undefined;
    chunks: AsyncIterable<Uint8Array> | null;
    listed: ObjectSummary[];
    visit: (row: CleanedRow, arrival: string) => void;
    now: Date;
  },
): Promise<FoldedTable> {
  const { manifest, listed } = read;
  const uncovered = new Set(
    uncoveredKeys(
      listed.map((o) => o.key),
      manifest,
    ),
  );
  const objects = listed.filter((o) => uncovered.has(o.key));
  const updates = [...(await foldObjects(s3, bucket, objects)).values()].sort((a, b) => a.row.id - b.row.id);
  const uncoveredSorted = [...uncovered].sort();
  const lastModified = objects.reduce<Date | undefined>(
    (latest, o) => (!latest || o.lastModified > latest ? o.lastModified : latest),
    manifest?.lastModified ? new Date(manifest.lastModified) : undefined,
  );

  // The next snapshot, written as it is produced: a CSV under a name of its own (an abandoned one
  // is an unreferenced file, as in compactCleanedTable), committed by its manifest below.
  const n = (manifest?.snapshot ?? 0) + 1;
  const writing = uncoveredSorted.length > 0;
  const table = tableKey(n, randomBytes(4).toString('hex'));
  const out = new PassThrough();
  const written = writing ? putObject(s3, bucket, table, out, 'text/csv') : Promise.resolve();
  written.catch(() => {}); // awaited below; a failure while reading is reported first
  const csvHash = createHash('sha256');
  const outHash = createHash('sha256');
  const contentHash = createHash('sha256').update(`${CLEANED_CSV_HEADER}\r\n`);
  let pending = `${SNAPSHOT_HEADER}\r\n`;
  let rows = 0;
  const emit = async (arrived: ArrivedRow) => {
    rows += 1;
    contentHash.update(`${cleanedCsvLine(arrived.row)}\r\n`);
    read.visit(arrived.row, arrived.arrival);
    if (!writing) return;
    pending += `${snapshotCsvLine(arrived)}\r\n`;
    if (pending.length >= WRITE_CHUNK_CHARS) {
      outHash.update(pending);
      const full = out.write(pending);
      pending = '';
      if (!full) await once(out, 'drain');
    }
  };

  const where = `s3://${bucket}/${manifest?.table}`;
  let next = 0;
  try {
    let lastId = 0;
    const base = read.chunks ? snapshotRows(read.chunks, csvHash, where) : noRows();
    for await (const arrived of base) {
      if (arrived.row.id <= lastId) throw new CorruptObjectError(where, `id ${arrived.row.id} out of order`);
      lastId = arrived.row.id;
      // Merge in id order; for one id the later arrival wins, the update on a tie (applyObjects).
      while (next < updates.length && (updates[next] as ArrivedRow).row.id < arrived.row.id)
        await emit(updates[next++] as ArrivedRow);
      const update = updates[next];
      if (update && update.row.id === arrived.row.id) {
        next += 1;
        await emit(arrived.arrival > update.arrival ? arrived : update);
      } else {
        await emit(arrived);
      }
    }
    while (next < updates.length) await emit(updates[next++] as ArrivedRow);
    if (manifest && csvHash.digest('hex') !== manifest.tableSha256)
      throw new CorruptObjectError(where, "SHA-256 differs from its manifest's tableSha256");
  } catch (error) {
    out.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  outHash.update(pending);
  out.end(pending);
  await written;

  const hash = contentHash.digest('hex');
  const loadedLineage: TableLineage = {
    snapshot: manifest?.snapshot ?? null,
    snapshotObjects: manifest?.objects ?? 0,
    objectsAfter: uncoveredSorted.length,
    objectsAfterHash: sha256(uncoveredSorted.map((key) => `${key}\n`).join('')),
  };
  const folded = { rows, contentHash: hash, lastModified };
  if (!writing)
    return {
      ...folded,
      lineage: loadedLineage,
      compaction: { outcome: 'unchanged', snapshot: manifest?.snapshot ?? null },
    };
  const committed = await commitSnapshot(s3, bucket, {
    n,
    previous: manifest,
    table,
    tableSha256: outHash.digest('hex'),
    rows,
    contentHash: hash,
    uncovered: uncoveredSorted,
    lastModified,
    now: read.now,
  });
  return {
    ...folded,
    compaction: committed,
    lineage:
      committed.outcome === 'written'
        ? {
            snapshot: committed.snapshot,
            snapshotObjects: (manifest?.objects ?? 0) + uncoveredSorted.length,
            objectsAfter: 0,
            objectsAfterHash: sha256(''),
          }
        : loadedLineage,
  };
}

/** The rows/ objects, read READ_CONCURRENCY at a time and folded as each arrives: latest arrival wins per id. */
async function foldObjects(
  s3: S3Client,
  bucket: string,
  objects: ObjectSummary[],
): Promise<Map<number, ArrivedRow>> {
  const merged = new Map<number, ArrivedRow>();
  await inParallel(objects, READ_CONCURRENCY, async ({ key, lastModified }) => {
    const text = await getObjectText(s3, bucket, key);
    let rows: CleanedRow[];
    try {
      rows = decodeCleanedCsv(text);
    } catch (error) {
      throw new CorruptObjectError(`s3://${bucket}/${key}`, (error as Error).message);
    }
    const arrival = arrivalOf(key, lastModified);
    // Later rows of one object win over earlier ones (same arrival); objects are distinct arrivals.
    for (const row of rows) {
      const current = merged.get(row.id);
      if (!current || current.arrival <= arrival) merged.set(row.id, { row, arrival });
    }
  });
  return merged;
}

/**
 * A snapshot's rows as its CSV streams in, hashing the bytes into `hash`. Text is parsed up to the
 * last line end outside quotes (an even count of quotes before it: a quoted field may hold one).
 */
async function* snapshotRows(
  chunks: AsyncIterable<Uint8Array>,
  hash: Hash,
  where: string,
): AsyncGenerator<ArrivedRow> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text = '';
  let line = 0;
  const records = function* (complete: string): Generator<ArrivedRow> {
    for (const fields of parseCsv(complete)) {
      line += 1;
      try {
        if (line === 1) {
          if (fields.join(',') !== SNAPSHOT_HEADER)
            throw new Error(`header: expected "${SNAPSHOT_HEADER}", got "${fields.join(',')}"`);
          continue;
        }
        yield decodeSnapshotFields(fields, line);
      } catch (error) {
        throw new CorruptObjectError(where, (error as Error).message);
      }
    }
  };
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      text += decoder.decode(chunk, { stream: true });
      const end = text.lastIndexOf('\n');
      if (end < 0 || quotesIn(text, end) % 2 !== 0) continue;
      const complete = text.slice(0, end + 1);
      text = text.slice(end + 1);
      yield* records(complete);
    }
    text += decoder.decode();
  } catch (error) {
    if (error instanceof TypeError) throw new CorruptObjectError(where, `not UTF-8 (${error.message})`);
    throw error;
  }
  if (line === 0 && text === '') throw new CorruptObjectError(where, 'empty, without even a header');
  yield* records(text);
}

async function* noRows(): AsyncGenerator<ArrivedRow> {}

function quotesIn(text: string, end: number): number {
  let count = 0;
  for (let i = text.indexOf('"'); i >= 0 && i < end; i = text.indexOf('"', i + 1)) count += 1;
  return count;
}
