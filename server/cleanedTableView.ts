// The cleaned table as the server shows it: all `rows/` objects, one row per id (the latest
// arrival wins), re-read only when the listing changed since the last read.
// TODO(trainer merge): build on lib/cleanedTable.ts (loadCleanedTable) once it lands.
import type { S3Client } from '@aws-sdk/client-s3';
import type { CleanedRow } from '../lib/beer.js';
import { decodeCleanedCsv } from '../lib/cleanedCsv.js';
import { getObjectText, listObjects } from '../lib/s3.js';

export interface TableSnapshot {
  rows: CleanedRow[];
  lastUpdate: Date | null;
}

export class CleanedTableView {
  private signature = '';
  private snapshot: TableSnapshot = { rows: [], lastUpdate: null };

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async read(): Promise<TableSnapshot> {
    const objects = (await listObjects(this.s3, this.bucket, 'rows/')).filter((o) => o.key.endsWith('.csv'));
    objects.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime() || a.key.localeCompare(b.key));
    const signature = objects.map((o) => `${o.key}@${o.lastModified.getTime()}`).join('\n');
    if (signature === this.signature) return this.snapshot;
    const texts = await Promise.all(objects.map((o) => getObjectText(this.s3, this.bucket, o.key)));
    const byId = new Map<number, CleanedRow>();
    for (const text of texts) for (const row of decodeCleanedCsv(text)) byId.set(row.id, row);
    const rows = [...byId.values()].sort((a, b) => a.id - b.id);
    this.snapshot = { rows, lastUpdate: objects.at(-1)?.lastModified ?? null };
    this.signature = signature;
    return this.snapshot;
  }
}
