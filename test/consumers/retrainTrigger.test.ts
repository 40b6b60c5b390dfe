// The cleaned consumer's retrain request: one waiting job however many batches land, and a Redis
// that does not answer never blocks the caller.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { retrainTrigger } from '../../consumers/cleaned/retrainTrigger.js';
import { loadConfig } from '../../lib/config.js';
import { createRedis } from '../../lib/redis.js';
import { retrainQueue } from '../../lib/retrainQueue.js';
import { capturingLogger } from '../support/capture.js';
import { sleep, until } from '../support/wait.js';

const prefix = `test-trigger-${process.pid}`;

describe('retrain trigger', () => {
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('adds one new-data job and joins later batches to it while it waits', async () => {
    const config = loadConfig({ ...process.env, QUEUE_PREFIX: prefix });
    const trigger = retrainTrigger(config, capturingLogger().logger, 100);
    trigger.newRows(3);
    const queue = retrainQueue(config, redis);
    await until('the new-data job', async () => (await queue.getWaitingCount()) > 0, 2500);
    trigger.newRows(2);
    await sleep(300);
    const waiting = await queue.getWaiting();
    assert.equal(waiting.length, 1);
    assert.deepEqual(waiting[0]?.data, { reason: 'new-data', rows: 3 });
    assert.equal(trigger.pending(), 0);
    await trigger.close();
    await queue.close();
  });

  it('returns at once and keeps the rows pending while Redis does not answer', async () => {
    const config = loadConfig({ ...process.env, REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: prefix });
    const { logger, lines } = capturingLogger();
    const trigger = retrainTrigger(config, logger, 100, 300);
    const started = performance.now();
    trigger.newRows(7);
    trigger.newRows(5);
    assert.ok(performance.now() - started < 50, 'newRows never waits on Redis');
    await sleep(800);
    assert.equal(trigger.pending(), 12);
    assert.ok(lines.some((line) => line.msg === 'could not request a retrain; will retry'));
    await trigger.close();
  });
});
