// Local state in Redis is namespaced per data directory: after the data directory is deleted, a
// fresh `npm start` on the same Redis neither runs a retrain job an earlier run left in its queue
// nor reads that run's KCL checkpoints. The Redis here belongs to the test and outlives both
// stacks, as a developer's own Redis does.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RETRAIN_QUEUE } from '../../lib/redis.js';
import { type LocalStack, rolesRunning, startLocalStack } from '../support/localStack.js';
import { type PrivateRedis, privateRedis } from '../support/redisServer.js';
import { until } from '../support/wait.js';

const LEFT_JOB = 'left-by-an-earlier-run';

describe('a fresh data directory', () => {
  let redisServer: PrivateRedis | undefined;
  let redisUrl: string;
  let redis: Redis;
  let parent: string;
  const stacks: LocalStack[] = [];

  before(async () => {
    redisServer = await privateRedis();
    redisUrl = redisServer.url;
    await redisServer.start();
    redis = new Redis(redisUrl);
    parent = await mkdtemp(path.join(os.tmpdir(), 'brewstream-namespace-'));
  });

  after(async () => {
    for (const stack of stacks) await stack.cleanup();
    redis?.disconnect();
    await redisServer?.stop();
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
    // Both consumers (cleaned and raw) have checkpointed.
    await until(
      () => `the first stack's checkpoints:\n${first.lines.slice(-20).join('\n')}`,
      async () => (await checkpointedApps()).size >= 2,
      60_000,
      250,
    );
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
    await until(
      `checkpoints beside the first run's (${[...firstApps].join(', ')})`,
      async () => (await fresh()).length > 0,
      60_000,
      250,
    );
    await stop(second);
  });
});
