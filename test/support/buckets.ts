import type { S3Client } from '@aws-sdk/client-s3';
import type { CleanedRow } from '../../lib/beer.js';
import { decodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { getObjectText, getObjectTextIfExists, listObjects } from '../../lib/s3.js';

/**
 * Every row of every cleaned object, duplicates included (the union a test checks). A listed key
 * that is gone when read is skipped: the S3 stand-in lists the partial file of a PUT whose writer
 * was killed mid-upload until it removes it (S3 would never list it), and a test that kills
 * processors may list in that moment; the rows it would hold are written again by the replay.
 */
export async function cleanedRows(
  s3: S3Client,
  bucket: string,
): Promise<Array<CleanedRow & { key: string }>> {
  const rows: Array<CleanedRow & { key: string }> = [];
  for (const object of await listObjects(s3, bucket, 'rows/')) {
    const text = await getObjectTextIfExists(s3, bucket, object.key);
    if (text === undefined) continue;
    for (const row of decodeCleanedCsv(text)) rows.push({ ...row, key: object.key });
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
