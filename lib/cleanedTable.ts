// The cleaned table (docs/design.md "The cleaned table"): the union of every rows/ object, one row per beer
// id, the latest arrival winning. "Latest" is decided by object order, then row order inside an
// object: objects sort by date partition, then by when they were written (an object rewritten by a
// replay holds the same rows), then by key. Used by the trainer and by the server's /table.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import * as aq from 'arquero';
import { CLEANED_COLUMNS, type CleanedRow } from './beer.js';
import { decodeCleanedCsv, encodeCleanedCsv } from './cleanedCsv.js';
import { getObjectText, listObjects, type ObjectSummary } from './s3.js';

export interface CleanedTable {
  /** One row per id, sorted by id. */
  rows: CleanedRow[];
  /** The same rows as an arquero table, for column statistics. */
  table: aq.ColumnTable;
  objectKeys: string[];
  /** sha256 of the table's canonical CSV (rows sorted by id): the same data has the same hash. */
  contentHash: string;
  lastModified: Date | undefined;
}

export class CorruptObjectError extends Error {}

const dtOfKey = (key: string) => /dt=(\d{4}-\d\d-\d\d)/.exec(key)?.[1] ?? '';

export function arrivalOrder(a: ObjectSummary, b: ObjectSummary): number {
  return (
    dtOfKey(a.key).localeCompare(dtOfKey(b.key)) ||
    a.lastModified.getTime() - b.lastModified.getTime() ||
    a.key.localeCompare(b.key)
  );
}

export async function loadCleanedTable(s3: S3Client, bucket: string): Promise<CleanedTable> {
  const objects = (await listObjects(s3, bucket, 'rows/'))
    .filter((o) => o.key.endsWith('.csv'))
    .sort(arrivalOrder);
  const texts = await Promise.all(
    objects.map(async (object) => {
      try {
        return await getObjectText(s3, bucket, object.key);
      } catch (error) {
        throw new CorruptObjectError(`s3://${bucket}/${object.key}: unreadable: ${(error as Error).message}`);
      }
    }),
  );
  const byId = new Map<number, CleanedRow>();
  objects.forEach((object, i) => {
    let rows: CleanedRow[];
    try {
      rows = decodeCleanedCsv(texts[i] as string);
    } catch (error) {
      throw new CorruptObjectError(`s3://${bucket}/${object.key}: ${(error as Error).message}`);
    }
    for (const row of rows) byId.set(row.id, row);
  });
  const rows = [...byId.values()].sort((a, b) => a.id - b.id);
  const columns = Object.fromEntries(CLEANED_COLUMNS.map((c) => [c, rows.map((r) => r[c])]));
  return {
    rows,
    table: aq.table(columns),
    objectKeys: objects.map((o) => o.key),
    contentHash: createHash('sha256').update(encodeCleanedCsv(rows)).digest('hex'),
    lastModified: objects.reduce<Date | undefined>(
      (latest, o) => (!latest || o.lastModified > latest ? o.lastModified : latest),
      undefined,
    ),
  };
}
