// Both consumers end to end on the stand-ins: the local daemon runs the real cleaned and raw
// processors over the MultiLang protocol, with checkpoints and the lease in the real Redis.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kinesisClient, s3Client } from '../../lib/aws.js';
import { cleanBeer } from '../../lib/beer.js';
import { createRedis } from '../../lib/redis.js';
import { listObjects } from '../../lib/s3.js';
import { checkpointKey, SHARD_END } from '../../local/kcl-daemon/checkpointStore.js';
import { type Daemon, startDaemon } from '../../local/kcl-daemon/daemon.js';
import { toEntry } from '../../producer/batches.js';
import { putAll } from '../../producer/putRecords.js';
import { bundledBeers } from '../../producer/sources.js';
import { cleanedRows, rawLines } from '../support/buckets.js';
import { capturingLogger } from '../support/capture.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { sleep, waitFor } from '../support/wait.js';

const brewstream = path.resolve(import.meta.dirname, '..', '..', 'bin', 'brewstream.js');

describe('local daemon with the real processors', () => {
  let stack: TestStack;
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const daemons: Daemon[] = [];
  const start = async (name: 'cleaned' | 'raw', leaseTtlMs = 2000) => {
    const daemon = await startDaemon({
      kinesis: kinesisClient(stack.config),
      redis,
      applicationName: `${stack.config.consumer.applicationName}-${name}`,
      streamName: stack.config.streamName,
      command: [process.execPath, brewstream, 'processor', name],
      env: { ...process.env, ...stack.env },
      pollIntervalMs: 100,
      maxRecords: 10_000,
      leaseTtlMs,
      shardSyncMs: 500,
      logger: capturingLogger().logger,
    });
    daemons.push(daemon);
    return daemon;
  };

  before(async () => {
    stack = await startTestStack({
      shards: 2,
      env: { BATCH_MAX_AGE_MS: '200', REDIS_URL: 'redis://127.0.0.1:1' },
    });
    const kinesis = kinesisClient(stack.config);
    const outcome = await putAll(kinesis, bundledBeers().beers.map(toEntry), {
      streamName: stack.config.streamName,
      maxAttempts: 5,
      baseBackoffMs: 20,
      logger: capturingLogger().logger,
    });
    assert.equal(outcome.put, 325);
  });

  after(async () => {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    const keys = await redis.keys(`kcl:${stack.config.consumer.applicationName}-*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await stack.close();
  });

  it('the cleaned table holds each of the 325 beers exactly once, and raw holds every record unchanged', async () => {
    const cleaned = await start('cleaned');
    const raw = await start('raw');
    const s3 = s3Client(stack.config);
    const rows = await waitFor(
      '325 cleaned rows',
      () => cleanedRows(s3, stack.config.buckets.cleaned),
      (r) => r.length >= 325,
    );
    assert.equal(rows.length, 325);
    const expected = bundledBeers().beers.map((beer) => {
      const result = cleanBeer(beer);
      assert.ok(result.ok);
      return result.row;
    });
    const byId = new Map(rows.map(({ key: _key, ...row }) => [row.id, row]));
    assert.equal(byId.size, 325);
    for (const row of expected) assert.deepEqual(byId.get(row.id), row);

    const lines = await waitFor(
      '325 raw records',
      () => rawLines(s3, stack.config.buckets.raw),
      (l) => l.length >= 325,
    );
    assert.deepEqual(new Set(lines), new Set(bundledBeers().beers.map((beer) => JSON.stringify(beer))));
    assert.equal(lines.length, 325);
    assert.ok(
      (await listObjects(s3, stack.config.buckets.raw, '')).every((o) =>
        /^\d{4}\/\d\d\/\d\d\/\d\d\/beers-\w+-shardId-\d+-\d+\.jsonl$/.test(o.key),
      ),
    );

    await cleaned.stop();
    await raw.stop();
  });

  it('stored a checkpoint per shard in Redis, and a restart resumes after it without rewriting', async () => {
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001']) {
      const value = await redis.get(
        checkpointKey(`${stack.config.consumer.applicationName}-cleaned`, stack.config.streamName, shardId),
      );
      assert.match(value ?? '', /^\d+$/);
      assert.notEqual(value, SHARD_END);
    }
    const s3 = s3Client(stack.config);
    const before = await listObjects(s3, stack.config.buckets.cleaned, 'rows/');
    const again = await start('cleaned');
    await sleep(1500);
    const afterRestart = await listObjects(s3, stack.config.buckets.cleaned, 'rows/');
    assert.deepEqual(
      afterRestart.map((o) => [o.key, o.lastModified.getTime()]),
      before.map((o) => [o.key, o.lastModified.getTime()]),
    );
    await again.stop();
  });

  it('refuses a second daemon of the same application on the same stream', async () => {
    const first = await start('cleaned', 1000);
    await assert.rejects(
      start('cleaned', 1000),
      /refusing to run two daemons of the same application on the same stream/,
    );
    await first.stop();
  });
});
