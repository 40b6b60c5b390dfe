// Local state in Redis is namespaced per data directory: after the data directory is deleted, a
// fresh `npm start` on the same Redis neither runs a retrain job an earlier run left in its queue
// nor reads that run's KCL checkpoints. The Redis here belongs to the test and outlives both
// stacks, as a developer's own Redis does.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RETRAIN_QUEUE, redisAnswers } from '../../lib/redis.js';
import { type LocalStack, rolesRunning, startLocalStack } from '../support/localStack.js';
import { freePort } from '../support/ports.js';

const LEFT_JOB = 'left-by-an-earlier-run';

describe('a fresh data directory', () => {
  let redisServer: ChildProcess;
  let redisUrl: string;
  let redis: Redis;
  let parent: string;
  const stacks: LocalStack[] = [];

  before(async () => {
    const port = await freePort();
    redisUrl = `redis://127.0.0.1:${port}`;
    redisServer = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], {
      stdio: 'ignore',
    });
    for (let i = 0; !(await redisAnswers(redisUrl, 200)); i += 1) {
      assert.ok(i < 100, 'the test redis-server did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    redis = new Redis(redisUrl);
    parent = await mkdtemp(path.join(os.tmpdir(), 'brewstream-namespace-'));
  });

  after(async () => {
    for (const stack of stacks) await stack.cleanup();
    redis?.disconnect();
    redisServer?.kill('SIGKILL');
    await rm(parent, { recursive: true, force: true });
  });

  const run = async () => {
    const stack = await startLocalStack({
      dataDir: path.join(parent, 'data'),
      env: { REDIS_URL: redisUrl },
    });
    stacks.push(stack);
    await stack.up();
    return stack;
  };
  const stop = async (stack: LocalStack) => {
    stack.child.kill('SIGTERM');
    await stack.exited;
    assert.deepEqual(await stack.waitUntilAllGone(45_000), []);
  };
  /** Application names that hold checkpoints: kcl:<app>:<stream>:checkpoint:<shardId>. */
  const checkpointedApps = async () =>
    new Set((await redis.keys('kcl:*:checkpoint:*')).map((key) => key.split(':')[1]));

  it('starts with a clean queue and fresh KCL checkpoints on the same Redis', async () => {
    const first = await run();
    await first.waitForProcesses(rolesRunning, 'every role running', 60_000);
    const deadline = Date.now() + 60_000;
    // Both consumers (cleaned and raw) have checkpointed.
    while ((await checkpointedApps()).size < 2) {
      assert.ok(
        Date.now() < deadline,
        `the first stack never checkpointed:\n${first.lines.slice(-20).join('\n')}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await stop(first);
    const firstApps = await checkpointedApps();

    // A retrain job still waiting when the first run stopped (say, a POST /retrain just before Ctrl-C),
    // put first in line (lifo) so a trainer on the same queue would take it before anything else.
    const prefixes = (await redis.keys(`*:${RETRAIN_QUEUE}:meta`)).map((key) => key.split(':')[0] as string);
    assert.equal(prefixes.length, 1, `one retrain queue after the first run, found ${prefixes.join(', ')}`);
    const oldQueue = new Queue(RETRAIN_QUEUE, { connection: redis, prefix: prefixes[0] });
    await oldQueue.add('retrain', { reason: 'manual' }, { jobId: LEFT_JOB, lifo: true });

    await rm(path.join(parent, 'data'), { recursive: true, force: true });
    const second = await run();
    // The replay gives the second stack new data, so its trainer starts a job: its own, not the old one.
    const started = await second.waitForLine(
      (line) => line.includes('"msg":"retrain started"'),
      'retrain started in the second stack',
      120_000,
    );
    assert.notEqual(JSON.parse(started.slice(started.indexOf('{'))).jobId, LEFT_JOB);
    assert.equal(await oldQueue.getJobState(LEFT_JOB), 'waiting', 'the old job is untouched');
    await oldQueue.close();

    // Its cleaned daemon checkpoints under a fresh application, not on the first run's checkpoints.
    const fresh = async () => [...(await checkpointedApps())].filter((app) => !firstApps.has(app));
    const until = Date.now() + 60_000;
    while ((await fresh()).length === 0) {
      assert.ok(Date.now() < until, `no checkpoints beside the first run's (${[...firstApps].join(', ')})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await stop(second);
  });
});
