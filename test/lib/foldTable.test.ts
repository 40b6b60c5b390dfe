// The trainer's streamed read of the cleaned table (foldAndCompact), on the S3 stand-in: it hands
// every row once, in id order, the latest arrival winning, and writes the next snapshot as it goes
// (multipart above 5 MB); what it wrote reads back through the whole-table loader with the same
// content hash. Names with commas, quotes and line breaks cross chunk boundaries of the streamed
// CSV. A snapshot whose bytes differ from its manifest is corrupt and commits nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../lib/aws.js';
import type { CleanedRow } from '../../lib/beer.js';
import { encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { rowsKey } from '../../lib/cleanedKeys.js';
import { foldAndCompact, latestManifest, loadCleanedTable } from '../../lib/cleanedTable.js';
import { loadConfig } from '../../lib/config.js';
import { CorruptObjectError } from '../../lib/errors.js';
import { ensureBucket, getObjectText, putObject } from '../../lib/s3.js';
import { S3RVER_CREDENTIALS, startS3StandIn } from '../../local/s3StandIn.js';
import { utcDay } from '../support/clock.js';

const SHARD = 'shardId-000000000000';
const NAMES = ['plain', 'with, comma', 'with "quotes"', 'two\r\nlines', 'a\nbare line end', ''];

const beer = (id: number, version: number): CleanedRow => ({
  id,
  name: `${NAMES[id % NAMES.length]} v${version}`,
  abv: 4 + (id % 50) / 10,
  ibu: 10 + version,
  target_fg: 1010,
  target_og: 1040 + (id % 40),
  ebc: id % 3 === 0 ? null : 12.5,
  srm: 10,
  ph: 4.4,
});

describe('foldAndCompact', () => {
  let standIn: Awaited<ReturnType<typeof startS3StandIn>>;
  let s3: S3Client;
  const bucket = 'fold-test';
  /** The latest row written for every id: written in later partitions, so later arrivals. */
  const expected = new Map<number, CleanedRow>();
  let sequence = 10n ** 18n;

  const write = async (dt: string, rows: CleanedRow[]) => {
    sequence += 1n;
    await putObject(s3, bucket, rowsKey(dt, SHARD, String(sequence)), encodeCleanedCsv(rows), 'text/csv');
    for (const row of rows) expected.set(row.id, row);
  };

  const fold = async () => {
    const seen: Array<{ row: CleanedRow; arrival: string }> = [];
    const folded = await foldAndCompact(s3, bucket, (row, arrival) => seen.push({ row, arrival }));
    return { folded, rows: seen.map((s) => s.row), arrivals: seen.map((s) => s.arrival) };
  };

  const matchesExpected = (rows: CleanedRow[]) => {
    assert.deepEqual(
      rows.map((r) => r.id),
      [...expected.keys()].sort((a, b) => a - b),
      'every id once, in id order',
    );
    const wrong = rows.filter((r) => JSON.stringify(r) !== JSON.stringify(expected.get(r.id)));
    assert.equal(wrong.length, 0, `${wrong.length} rows are not the latest written`);
  };

  before(async () => {
    standIn = await startS3StandIn({ port: 0 });
    // The SDK reads its credentials from the environment, as every role does.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      ...S3RVER_CREDENTIALS,
      AWS_ENDPOINT_URL_S3: standIn.endpoint,
    });
    s3 = s3Client(loadConfig());
    await ensureBucket(s3, bucket);
  });
  after(async () => {
    s3.destroy();
    await standIn.close();
  });

  it('reads a table with no snapshot yet and writes the first one, multipart, as the loader reads it', async () => {
    // 70,000 rows in one object and a few small ones: the snapshot is over 5 MB.
    await write(
      utcDay(-3),
      Array.from({ length: 70_000 }, (_, i) => beer(i + 1, 0)),
    );
    await write(utcDay(-3), [beer(5, 1), beer(70_001, 1)]);
    const { folded, rows } = await fold();
    matchesExpected(rows);
    assert.equal(folded.rows, 70_001);
    assert.equal(folded.compaction.outcome, 'written');
    const manifest = await latestManifest(s3, bucket);
    assert.equal(manifest?.rows, 70_001);
    // The whole-table loader checks the CSV against the manifest's SHA-256 and decodes every line.
    const loaded = await loadCleanedTable(s3, bucket);
    assert.equal(loaded.lineage.objectsAfter, 0);
    assert.equal(loaded.contentHash, folded.contentHash);
    matchesExpected(loaded.rows);
  });

  it('merges new objects into the snapshot in id order, the later arrival winning, and compacts again', async () => {
    await write(utcDay(-1), [beer(3, 2), beer(80_000, 2), beer(69_999, 2)]);
    await write(utcDay(0), [beer(3, 3), beer(1, 3)]);
    const before = await loadCleanedTable(s3, bucket);
    const { folded, rows } = await fold();
    matchesExpected(rows);
    assert.equal(folded.contentHash, before.contentHash, 'the hash of the same table, read whole');
    assert.deepEqual(folded.compaction, { outcome: 'written', snapshot: 2, deleted: [] });
    assert.deepEqual(
      { snapshot: folded.lineage.snapshot, objectsAfter: folded.lineage.objectsAfter },
      { snapshot: 2, objectsAfter: 0 },
    );
    const after = await loadCleanedTable(s3, bucket);
    assert.equal(after.contentHash, folded.contentHash);
    matchesExpected(after.rows);
  });

  it('with nothing new, reads the snapshot and writes nothing', async () => {
    const { folded, rows } = await fold();
    matchesExpected(rows);
    assert.deepEqual(folded.compaction, { outcome: 'unchanged', snapshot: 2 });
  });

  it('refuses a snapshot whose bytes differ from its manifest, and commits no new one', async () => {
    const manifest = await latestManifest(s3, bucket);
    assert.ok(manifest);
    const text = await getObjectText(s3, bucket, manifest.table);
    await putObject(s3, bucket, manifest.table, text.replace('v2', 'v9'), 'text/csv');
    await write(utcDay(0), [beer(90_000, 4)]);
    await assert.rejects(fold(), (error: Error) => {
      assert.ok(error instanceof CorruptObjectError, String(error));
      assert.match(error.message, /SHA-256 differs/);
      return true;
    });
    assert.equal((await latestManifest(s3, bucket))?.snapshot, 2);
  });
});
