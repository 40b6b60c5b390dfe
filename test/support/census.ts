// The exact census a failure drill ends with (README "Failure drills"): every produced id in exactly
// one row of the cleaned table's objects, no id that was not produced, no two objects of a shard
// covering the same sequence number, and each checkpoint the end of an object that exists.
import assert from 'node:assert/strict';
import type { S3Client } from '@aws-sdk/client-s3';
import { decodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { getObjectText, headMetadata, listObjects } from '../../lib/s3.js';

export interface CleanedObject {
  key: string;
  shardId: string;
  first: bigint;
  last: bigint;
  ids: number[];
}

const KEY = /^rows\/dt=\d{4}-\d\d-\d\d\/(shardId-\d+)\/(\d+)\.csv$/;

export async function cleanedObjects(s3: S3Client, bucket: string): Promise<CleanedObject[]> {
  const objects: CleanedObject[] = [];
  for (const { key } of await listObjects(s3, bucket, 'rows/')) {
    const match = KEY.exec(key);
    assert.ok(match, `unexpected key ${key}`);
    const last = (await headMetadata(s3, bucket, key))?.['last-sequence-number'];
    assert.match(last ?? '', /^\d+$/, `${key}: last-sequence-number metadata`);
    const ids = decodeCleanedCsv(await getObjectText(s3, bucket, key)).map((row) => row.id);
    objects.push({
      key,
      shardId: match[1] as string,
      first: BigInt(match[2] as string),
      last: BigInt(last as string),
      ids,
    });
  }
  return objects;
}

/** Asserts the census; returns the objects for further checks. */
export async function assertCensus(
  s3: S3Client,
  bucket: string,
  produced: number[],
): Promise<CleanedObject[]> {
  const objects = await cleanedObjects(s3, bucket);
  const where = new Map<number, string>();
  for (const object of objects) {
    for (const id of object.ids) {
      assert.ok(!where.has(id), `id ${id} twice: in ${where.get(id)} and ${object.key}`);
      where.set(id, object.key);
    }
  }
  const missing = produced.filter((id) => !where.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} produced ids missing`);
  const expected = new Set(produced);
  const extra = [...where.keys()].filter((id) => !expected.has(id));
  assert.deepEqual(extra.slice(0, 20), [], 'ids never produced');
  assert.equal(where.size, produced.length);
  const byShard = new Map<string, CleanedObject[]>();
  for (const object of objects) byShard.set(object.shardId, [...(byShard.get(object.shardId) ?? []), object]);
  for (const [shardId, list] of byShard) {
    list.sort((a, b) => (a.first < b.first ? -1 : 1));
    for (const object of list) assert.ok(object.first <= object.last, `${object.key} ends before it starts`);
    for (let i = 1; i < list.length; i += 1) {
      const [before, next] = [list[i - 1] as CleanedObject, list[i] as CleanedObject];
      assert.ok(
        next.first > before.last,
        `${shardId}: ${next.key} starts at or before the end of ${before.key} (${before.last})`,
      );
    }
  }
  return objects;
}

/** Asserts every checkpoint seen (at the end and along the way) is the end of an object of its shard. */
export function assertCheckpointsWritten(
  objects: CleanedObject[],
  checkpoints: Array<{ shardId: string; value: string }>,
): void {
  const ends = new Set(objects.map((o) => `${o.shardId} ${o.last}`));
  for (const { shardId, value } of checkpoints) {
    assert.ok(
      ends.has(`${shardId} ${value}`),
      `checkpoint ${value} of ${shardId} is not the end of a written object`,
    );
  }
}
