// Restarting `npm start` on unchanged data trains nothing: the first start replays the 325 beers
// and trains a first model; the second, on the same data directory, replays them again (the same
// rows, in new records and new rows/ objects), and every retrain that queues ends at once as
// `skipped: no new data`, with no new version in the registry.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { createRedis, RETRAIN_QUEUE } from '../../lib/redis.js';
import { type LocalStack, startLocalStack } from '../support/localStack.js';
import { until, waitFor } from '../support/wait.js';

interface Registry {
  champion: string | null;
  models: Array<{ version: string }>;
}

describe('npm start, restarted on unchanged data', () => {
  let dataDir: string;
  let stack: LocalStack | undefined;
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers) await close().catch(() => {});
    await stack?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const registry = async (s: LocalStack): Promise<Registry> =>
    (await (await fetch(`${s.baseUrl}/models`)).json()) as Registry;
  const tableRows = async (s: LocalStack) =>
    ((await (await fetch(`${s.baseUrl}/table?limit=1`)).json()) as { total: number }).total;

  /** The stack's retrain queue, and a wait until it has had no waiting or active job for a while. */
  const queueOf = (s: LocalStack, prefix: string) => {
    const connection = createRedis(s.env.REDIS_URL as string);
    const queue = new Queue(RETRAIN_QUEUE, { connection, prefix });
    const settled = async (what: string, timeoutMs: number) => {
      let quietSince = Date.now();
      await until(
        () => `${what}: the retrain queue to settle:\n${s.lines.slice(-15).join('\n')}`,
        async () => {
          const busy = (await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')) as Record<
            string,
            number
          >;
          if (Object.values(busy).some((n) => n > 0)) quietSince = Date.now();
          return Date.now() - quietSince > 8000;
        },
        timeoutMs,
        500,
      );
    };
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await queue.close();
      connection.disconnect();
    };
    closers.push(close);
    return { queue, settled, close };
  };

  const untilTable325 = (s: LocalStack) =>
    waitFor(
      (rows) => `the cleaned table to hold the 325 replayed beers (it held ${rows})`,
      () => tableRows(s).catch(() => 0),
      (rows) => rows === 325,
      120_000,
      500,
    );

  it('ends every retrain of the second start as skipped and registers no version', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'brewstream-restart-'));
    stack = await startLocalStack({ dataDir });
    const up = await stack.up();
    const prefix = up.queuePrefix as string;
    await stack.waitForLine((line) => line.includes('first prediction served'), 'first model', 300_000);
    await untilTable325(stack);
    const first = queueOf(stack, prefix);
    await first.settled('first start', 300_000);
    const trained = await registry(stack);
    assert.ok(trained.champion, 'the first start trained and promoted a model');
    await first.close();
    assert.ok(stack.child.kill('SIGTERM'));
    assert.equal((await stack.exited).code, 0);
    await stack.cleanup();

    const restartedAt = Date.now();
    stack = await startLocalStack({ dataDir });
    await stack.up();
    const second = queueOf(stack, prefix);
    const { lines } = stack;
    // The replay is cleaned again and announced: at least one retrain runs, and all of them skip.
    await until(
      () => `a retrain completed after the restart:\n${lines.slice(-20).join('\n')}`,
      async () => ((await second.queue.getJobCounts('completed', 'failed')).completed ?? 0) > 0,
      180_000,
      500,
    );
    await untilTable325(stack);
    await second.settled('second start', 300_000);
    const jobs = (await second.queue.getJobs(['completed', 'failed'])).filter(
      (job) => job.timestamp >= restartedAt,
    );
    assert.ok(jobs.length > 0);
    for (const job of jobs) {
      assert.equal(await job.getState(), 'completed', `job ${job.id}: ${job.failedReason}`);
      assert.equal(
        job.returnvalue?.skipped,
        true,
        `job ${job.id} trained: ${JSON.stringify(job.returnvalue)}`,
      );
      assert.equal(job.returnvalue?.reason, 'skipped: no new data');
    }
    const after = await registry(stack);
    assert.deepEqual(
      after.models.map((m) => m.version),
      trained.models.map((m) => m.version),
      'no version registered after the restart',
    );
    assert.equal(after.champion, trained.champion);
    await second.close();
  });
});
