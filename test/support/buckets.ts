import type { S3Client } from '@aws-sdk/client-s3';
import type { CleanedRow } from '../../lib/beer.js';
import { decodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { getObjectText, listObjects } from '../../lib/s3.js';

/** Every row of every cleaned object, duplicates included (the union a test checks). */
export async function cleanedRows(
  s3: S3Client,
  bucket: string,
): Promise<Array<CleanedRow & { key: string }>> {
  const rows: Array<CleanedRow & { key: string }> = [];
  for (const object of await listObjects(s3, bucket, 'rows/')) {
    for (const row of decodeCleanedCsv(await getObjectText(s3, bucket, object.key)))
      rows.push({ ...row, key: object.key });
  }
  return rows;
}

/** Every line of every raw object. */
export async function rawLines(s3: S3Client, bucket: string): Promise<string[]> {
  const lines: string[] = [];
  for (const object of await listObjects(s3, bucket, '')) {
    lines.push(
      ...(await getObjectText(s3, bucket, object.key)).split('\n').filter((line) => line.length > 0),
    );
  }
  return lines;
}
