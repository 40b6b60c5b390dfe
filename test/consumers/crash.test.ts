// The crash test: 10,000 beers and some malformed records flow while the daemon and its processors
// are SIGKILLed at random moments and restarted. Afterwards the cleaned table holds exactly the
// ids produced, none twice, and every malformed record is a dead letter with its reason.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kinesisClient, s3Client } from '../../lib/aws.js';
import { createRedis } from '../../lib/redis.js';
import { getObjectText, listObjects } from '../../lib/s3.js';
import { type Entry, toEntry } from '../../producer/batches.js';
import { putAll } from '../../producer/putRecords.js';
import { syntheticBeers } from '../../producer/sources.js';
import { cleanedRows } from '../support/buckets.js';
import { capturingLogger } from '../support/capture.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { sleep, waitFor } from '../support/wait.js';

const logFd = openSync(process.env.CRASH_LOG ?? '/dev/null', 'a');
const brewstream = path.resolve(import.meta.dirname, '..', '..', 'bin', 'brewstream.js');
const COUNT = 10_000;
const MALFORMED: Array<[string, RegExp]> = [
  ['{"id": 5,', /^not JSON/],
  ['"just a string"', /not an object: got string/],
  ['{"name": "no id"}', /id: expected a positive integer, got nothing/],
  ['{"id": -1}', /id: expected a positive integer, got -1/],
  ['{"id": 77, "ibu": "bitter"}', /ibu: expected a finite number or null, got "bitter"/],
];

describe('crash test', () => {
  let stack: TestStack;
  let daemon: ChildProcess | undefined;
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const kills: string[] = [];

  const startDaemon = () => {
    daemon = spawn(process.execPath, [brewstream, 'consumer', 'cleaned'], {
      env: { ...process.env, ...stack.env },
      stdio: ['ignore', logFd, logFd],
    });
  };
  const processorPids = (): number[] => {
    try {
      return execFileSync('pgrep', ['-P', String(daemon?.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  };
  const killDaemon = async () => {
    const exited = new Promise((resolve) => daemon?.once('exit', resolve));
    daemon?.kill('SIGKILL');
    await exited;
    kills.push('daemon');
    startDaemon();
  };
  const killProcessor = () => {
    const pids = processorPids();
    const pid = pids[Math.floor(Math.random() * pids.length)];
    if (pid === undefined) return false;
    process.kill(pid, 'SIGKILL');
    kills.push('processor');
    return true;
  };

  before(async () => {
    stack = await startTestStack({
      shards: 2,
      env: {
        BATCH_MAX_AGE_MS: '250',
        BATCH_MAX_RECORDS: '700',
        KCL_MAX_RECORDS: '400',
        KCL_POLL_INTERVAL_MS: '50',
        KCL_LEASE_TTL_MS: '1500',
        KCL_SHARD_SYNC_MS: '500',
        REDIS_URL: 'redis://127.0.0.1:6379',
        LOG_LEVEL: process.env.CRASH_LOG ? 'info' : 'error',
      },
    });
  });
  after(async () => {
    daemon?.kill('SIGKILL');
    await stack.clearRedis(redis);
    redis.disconnect();
    await stack.close();
  });

  it('keeps every id exactly once through repeated SIGKILLs', async () => {
    const kinesis = kinesisClient(stack.config);
    const entries: Entry[] = [...syntheticBeers(COUNT, true, 2_000_000)].map(toEntry);
    // Malformed records spread through the stream.
    for (const [k, [data]] of MALFORMED.entries()) {
      entries.splice(1000 + k * 1800, 0, { Data: Buffer.from(data), PartitionKey: `bad-${k}` });
    }
    startDaemon();
    const { logger } = capturingLogger();
    const chunk = 500;
    for (let i = 0, n = 0; i < entries.length; i += chunk, n += 1) {
      const outcome = await putAll(kinesis, entries.slice(i, i + chunk), {
        streamName: stack.config.streamName,
        maxAttempts: 8,
        baseBackoffMs: 20,
        logger,
      });
      assert.equal(outcome.failed.length, 0);
      await sleep(40 + Math.random() * 60);
      // Kill at random moments while records flow: the daemon twice, a processor at least twice.
      if (n === 4 || n === 13) await killDaemon();
      if ((n === 8 || n === 17) && !killProcessor()) {
        await sleep(500);
        killProcessor();
      }
    }
    await sleep(400);
    if (!killProcessor()) await killDaemon();
    assert.ok(kills.length >= 3, `killed ${kills.join(', ')}`);

    const s3 = s3Client(stack.config);
    const rows = await waitFor(
      `${COUNT} cleaned rows`,
      () => cleanedRows(s3, stack.config.buckets.cleaned),
      (r) => new Set(r.map((row) => row.id)).size >= COUNT,
      90_000,
    );
    const ids = rows.map((row) => row.id);
    assert.equal(new Set(ids).size, COUNT, 'every id produced is in the table');
    assert.deepEqual(
      [...new Set(ids)].sort((a, b) => a - b),
      Array.from({ length: COUNT }, (_, i) => 2_000_000 + i),
    );
    const seen = new Map<number, string>();
    for (const row of rows) {
      assert.ok(!seen.has(row.id), `id ${row.id} twice: in ${seen.get(row.id)} and ${row.key}`);
      seen.set(row.id, row.key);
    }

    const letters = await listObjects(s3, stack.config.buckets.cleaned, 'rejected/');
    const bodies = await Promise.all(
      letters.map(async (o) => JSON.parse(await getObjectText(s3, stack.config.buckets.cleaned, o.key))),
    );
    assert.equal(bodies.length, MALFORMED.length);
    for (const [k, [data, reason]] of MALFORMED.entries()) {
      const letter = bodies.find((body) => body.partitionKey === `bad-${k}`);
      assert.ok(letter, `dead letter for bad-${k}`);
      assert.match(letter.reason, reason);
      assert.equal(Buffer.from(letter.data, 'base64').toString(), data);
    }
    kinesis.destroy();
  });
});
