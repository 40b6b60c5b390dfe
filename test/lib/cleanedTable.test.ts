// The cleaned table read through snapshots, against the S3 stand-in and the real cleaned consumer:
// 5,000 small rows/ objects in three date partitions (one older than a snapshot's listFrom), then
// compactions while the consumer writes new objects, then an exact census of the loaded table
// against what was written: every id once, the latest arrival winning. Then a compactor SIGKILLed
// in the middle of writing a snapshot (its CSV, then its manifest) leaves the previous snapshot in
// force and loses nothing. Last, a reader whose snapshot is deleted under it by another compactor
// reads again from the newer one, and only a CSV the latest manifest names and lacks is corrupt.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { kinesisClient, s3Client } from '../../lib/aws.js';
import type { CleanedRow } from '../../lib/beer.js';
import { decodeCleanedCsv, encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { manifestKey, rowsKey } from '../../lib/cleanedKeys.js';
import { latestManifest, loadAndCompact, loadCleanedTable } from '../../lib/cleanedTable.js';
import { CorruptObjectError } from '../../lib/errors.js';
import { createRedis } from '../../lib/redis.js';
import { getObjectText, inParallel, listObjects, putObject } from '../../lib/s3.js';
import { putAll } from '../../producer/putRecords.js';
import { capturingLogger } from '../support/capture.js';
import { utcDay } from '../support/clock.js';
import { clientThrough, type Interception, startHoldingProxy, startS3Proxy } from '../support/s3Proxy.js';
import { startTestStack, type TestStack, useS3StandIn } from '../support/stack.js';
import { sleep, waitFor } from '../support/wait.js';

const brewstream = path.resolve(import.meta.dirname, '..', '..', 'bin', 'brewstream.js');
const compactor = path.resolve(import.meta.dirname, '..', 'fixtures', 'compactTable.js');
const SYNTHETIC_SHARD = 'shardId-000000000009';
const WAVES = 5;
const PER_WAVE = 1000;
const LIVE_UPDATES = 400; // ids of the synthetic range the consumer writes again
const LIVE_NEW = 1600; // new ids the consumer writes

const beer = (id: number, name: string, ibu: number): CleanedRow => ({
  id,
  name,
  abv: 4 + (id % 50) / 10,
  ibu,
  target_fg: 1010,
  target_og: 1040 + (id % 40),
  ebc: null,
  srm: 10,
  ph: 4.4,
});

describe('cleaned table snapshots', () => {
  let stack: TestStack;
  let s3: S3Client;
  let bucket: string;
  let daemon: ChildProcess | undefined;
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  /** What was written: the latest row of every id, by the order of writing. */
  const expected = new Map<number, CleanedRow>();

  const census = (rows: CleanedRow[]) => {
    const ids = rows.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'an id twice');
    const missing = [...expected.keys()].filter((id) => !ids.includes(id));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} ids missing`);
    assert.equal(rows.length, expected.size, 'ids never written');
    const wrong = rows.filter((r) => JSON.stringify(r) !== JSON.stringify(expected.get(r.id)));
    assert.deepEqual(
      wrong.slice(0, 5).map((r) => [r, expected.get(r.id)]),
      [],
      `${wrong.length} ids whose latest arrival did not win`,
    );
  };

  before(async () => {
    stack = await startTestStack({
      shards: 2,
      env: {
        BATCH_MAX_AGE_MS: '200',
        BATCH_MAX_RECORDS: '40',
        KCL_POLL_INTERVAL_MS: '50',
        LOG_LEVEL: 'error',
      },
    });
    s3 = s3Client(stack.config);
    bucket = stack.config.buckets.cleaned;
  });
  after(async () => {
    daemon?.kill('SIGKILL');
    await stack.clearRedis(redis);
    redis.disconnect();
    s3.destroy();
    await stack.close();
  });

  it('5,000 objects and live consumer writes during compactions: every id once, the latest arrival winning', async () => {
    // Waves of objects, each wave written whole before the next, the date partition never going
    // back: a later wave is a later arrival. Wave 0 is older than any snapshot's listFrom.
    const dts = [utcDay(-9), utcDay(-1), utcDay(-1), utcDay(0), utcDay(0)];
    for (let wave = 0; wave < WAVES; wave += 1) {
      const objects = Array.from({ length: PER_WAVE }, (_, j) => {
        // Each id at most once per wave (7 is prime to 1,500), in many waves.
        const rows = [
          beer(j + 1, `w${wave} o${j} a`, wave * 10 + 1),
          beer(1001 + ((j * 7 + wave) % 1500), `w${wave} o${j} b`, 2),
        ];
        const key = rowsKey(dts[wave] as string, SYNTHETIC_SHARD, String(10 ** 15 + wave * PER_WAVE + j));
        return { key, rows };
      });
      await inParallel(objects, 32, async ({ key, rows }) => {
        await putObject(s3, bucket, key, encodeCleanedCsv(rows), 'text/csv', { 'last-sequence-number': '0' });
      });
      for (const { rows } of objects) for (const row of rows) expected.set(row.id, row);
      await sleep(1100); // LastModified of the next wave is strictly later, at S3's one-second grain
    }
    assert.equal(expected.size, 2500);

    // The real cleaned consumer, fed while the table is compacted again and again.
    daemon = spawn(process.execPath, [brewstream, 'consumer', 'cleaned'], {
      env: { ...process.env, ...stack.env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const live = [
      ...Array.from({ length: LIVE_UPDATES }, (_, i) => beer(1 + i * 5, `live update ${i}`, 77)),
      ...Array.from({ length: LIVE_NEW }, (_, i) => beer(100_001 + i, `live new ${i}`, 55)),
    ];
    const kinesis = kinesisClient(stack.config);
    const { logger } = capturingLogger();
    let producing = true;
    const produce = (async () => {
      for (let i = 0; i < live.length; i += 50) {
        const chunk = live.slice(i, i + 50);
        const outcome = await putAll(
          kinesis,
          chunk.map((b) => ({ Data: Buffer.from(JSON.stringify(b)), PartitionKey: String(b.id) })),
          { streamName: stack.config.streamName, maxAttempts: 8, baseBackoffMs: 20, logger },
        );
        assert.equal(outcome.failed.length, 0);
        await sleep(250);
      }
      producing = false;
    })();
    const windows: Array<{ from: number; to: number; outcome: string }> = [];
    while (producing || windows.length < 3) {
      const from = Date.now();
      const { compaction } = await loadAndCompact(s3, bucket);
      windows.push({ from, to: Date.now(), outcome: compaction.outcome });
    }
    await produce;
    kinesis.destroy();
    for (const b of live) expected.set(b.id, b);

    // Everything produced has reached S3.
    const liveIds = new Set(live.map((b) => b.id));
    const consumerObjects = await waitFor(
      'the consumer to write every live record',
      async () => {
        const objects = (await listObjects(s3, bucket, 'rows/')).filter(
          (o) => !o.key.includes(SYNTHETIC_SHARD),
        );
        const seen = new Set<number>();
        for (const o of objects)
          for (const row of decodeCleanedCsv(await getObjectText(s3, bucket, o.key))) seen.add(row.id);
        return { objects, seen };
      },
      ({ seen }) => [...liveIds].every((id) => seen.has(id)),
      90_000,
    );
    daemon.kill('SIGTERM');

    // The scenario happened: consumer objects landed while a compaction was running.
    const during = consumerObjects.objects.filter((o) =>
      windows.some((w) => o.lastModified.getTime() >= w.from && o.lastModified.getTime() <= w.to),
    );
    assert.ok(during.length > 0, `no consumer object landed during one of ${windows.length} compactions`);
    assert.ok(windows.filter((w) => w.outcome === 'written').length >= 2, JSON.stringify(windows));

    const table = await loadCleanedTable(s3, bucket);
    census(table.rows);
    // A further compaction holds everything, and a load from it alone gives the same table.
    await loadAndCompact(s3, bucket);
    const compacted = await loadCleanedTable(s3, bucket);
    assert.equal(compacted.lineage.objectsAfter, 0);
    assert.equal(compacted.lineage.snapshotObjects, WAVES * PER_WAVE + consumerObjects.objects.length);
    assert.equal(compacted.contentHash, table.contentHash);
    census(compacted.rows);
  });

  it('a compactor SIGKILLed mid-write leaves the previous snapshot in force and nothing lost', async () => {
    const previous = await latestManifest(s3, bucket);
    assert.ok(previous, 'the first test left a snapshot');
    // New objects for the next snapshot to cover: updates and new ids.
    const rows = [beer(3, 'after kill', 9), beer(200_001, 'new after kill', 9)];
    await putObject(
      s3,
      bucket,
      rowsKey(utcDay(0), SYNTHETIC_SHARD, String(2 * 10 ** 15)),
      encodeCleanedCsv(rows),
      'text/csv',
    );
    for (const row of rows) expected.set(row.id, row);

    for (const target of [/\/snapshots\/\d+\/table-[0-9a-f]+\.csv/, /\/snapshots\/\d+\/manifest\.json/]) {
      const proxy = await startHoldingProxy(stack.env.AWS_ENDPOINT_URL_S3 as string, {
        method: 'PUT',
        path: target,
      });
      const child = spawn(process.execPath, [compactor], {
        env: { ...process.env, ...stack.env, AWS_ENDPOINT_URL_S3: proxy.endpoint },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const held = await Promise.race([
        proxy.held,
        exited.then(() => {
          throw new Error('the compactor finished before its write was held');
        }),
      ]);
      assert.match(held, target);
      child.kill('SIGKILL');
      await exited;
      await proxy.close();
      // Nothing of the killed write is there (the stand-in's HEAD waits for its clean-up of the key).
      const killedPath = new URL(held, 'http://x').pathname;
      const left = await fetch(`${stack.env.AWS_ENDPOINT_URL_S3}${killedPath}`, { method: 'HEAD' });
      assert.equal(left.status, 404, `${killedPath} after the kill`);

      const latest = await latestManifest(s3, bucket);
      assert.equal(latest?.snapshot, previous.snapshot, `after a kill while writing ${target}`);
      const keys = (await listObjects(s3, bucket, 'snapshots/')).map((o) => o.key);
      assert.ok(!keys.includes(manifestKey(previous.snapshot + 1)), keys.join('\n'));
      census((await loadCleanedTable(s3, bucket)).rows);
    }

    // The next compaction commits past what the killed ones left.
    const { compaction } = await loadAndCompact(s3, bucket);
    assert.deepEqual(compaction.outcome, 'written');
    assert.equal((await latestManifest(s3, bucket))?.snapshot, previous.snapshot + 1);
    const table = await loadCleanedTable(s3, bucket);
    assert.equal(table.lineage.objectsAfter, 0);
    census(table.rows);
  });
});

describe('a load while another compactor deletes its snapshot', () => {
  const fx = useS3StandIn();

  const write = (seq: number, ids: number[]) =>
    putObject(
      fx.s3,
      fx.bucket,
      rowsKey(utcDay(0), 'shardId-000000000000', String(seq)),
      encodeCleanedCsv(ids.map((id) => beer(id, `beer ${id}`, 30))),
      'text/csv',
    );

  it('reads again from the newer snapshot when the CSV its manifest named is gone, not corrupt', async () => {
    await write(1, [1, 2, 3]);
    const first = await loadAndCompact(fx.s3, fx.bucket);
    assert.equal(first.compaction.outcome, 'written');
    const older = await latestManifest(fx.s3, fx.bucket);
    assert.ok(older);
    await write(2, [4, 5]);

    // As the reader asks for the CSV of the snapshot it chose, another compactor commits the next
    // snapshot and that CSV is deleted (as a compactor deletes the snapshots before the last three).
    let raced = false;
    const proxy = await startS3Proxy(
      fx.stack.env.AWS_ENDPOINT_URL_S3 as string,
      async (method, path): Promise<Interception> => {
        if (!raced && method === 'GET' && path.includes(older.table)) {
          raced = true;
          assert.equal((await loadAndCompact(fx.s3, fx.bucket)).compaction.outcome, 'written');
          await fx.s3.send(new DeleteObjectCommand({ Bucket: fx.bucket, Key: older.table }));
        }
        return 'pass';
      },
    );
    const reader = clientThrough(proxy);
    try {
      const table = await loadCleanedTable(reader, fx.bucket);
      assert.ok(raced, 'the CSV was deleted under the reader');
      assert.equal(table.lineage.snapshot, older.snapshot + 1);
      assert.deepEqual(
        table.rows.map((r) => r.id),
        [1, 2, 3, 4, 5],
      );
    } finally {
      reader.destroy();
      await proxy.close();
    }
  });

  it('calls a CSV corrupt, naming it, only when the latest manifest still names it and it is missing', async () => {
    const latest = await latestManifest(fx.s3, fx.bucket);
    assert.ok(latest);
    await fx.s3.send(new DeleteObjectCommand({ Bucket: fx.bucket, Key: latest.table }));
    await assert.rejects(loadCleanedTable(fx.s3, fx.bucket), (error: Error) => {
      assert.ok(error instanceof CorruptObjectError, String(error));
      assert.equal(error.retriable, false);
      assert.equal(error.location, `s3://${fx.bucket}/${latest.table}`);
      assert.match(error.message, /missing, though the latest manifest names it/);
      return true;
    });
  });
});
