// Failure drills: the S3 stand-in down for 10 s, and the Kinesis stand-in restarted (README
// "Failure drills"). The consumer retries, never checkpoints what is not written, loses and repeats
// nothing, and resumes from its checkpoints.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { s3Client } from '../../lib/aws.js';
import { assertCensus, assertCheckpointsWritten } from '../support/census.js';
import { produce, sampleCheckpoints, waitForIds } from '../support/drillLoad.js';
import { type DrillStack, startDrillStack } from '../support/drillStack.js';
import { sleep } from '../support/wait.js';

const CONSUMER_ENV = {
  BATCH_MAX_AGE_MS: '300',
  KCL_POLL_INTERVAL_MS: '100',
  KCL_LEASE_TTL_MS: '3000',
  KCL_SHARD_SYNC_MS: '1000',
};
const OUTAGE_MS = 10_000;

async function checkpointsNow(stack: DrillStack) {
  const redis = new Redis(stack.redis.url);
  const prefix = `kcl:${stack.config.consumer.applicationName}:${stack.config.streamName}:checkpoint:`;
  const keys = await redis.keys(`${prefix}*`);
  const values = await Promise.all(
    keys.map(async (key) => ({ shardId: key.slice(prefix.length), value: (await redis.get(key)) ?? '' })),
  );
  redis.disconnect();
  return values;
}

async function upWithConsumer() {
  const stack = await startDrillStack({ env: CONSUMER_ENV });
  await Promise.all([stack.redis.start(), stack.kinesis.start(), stack.s3.start()]);
  await stack.provision(2);
  stack.role(['consumer', 'cleaned']);
  return stack;
}

async function census(stack: DrillStack, ids: number[], seen: Array<{ shardId: string; value: string }>) {
  const s3 = s3Client(stack.config);
  const objects = await assertCensus(s3, stack.config.buckets.cleaned, ids);
  const final = await checkpointsNow(stack);
  assert.equal(final.length, 2, 'a checkpoint per shard');
  assertCheckpointsWritten(objects, [...seen, ...final]);
  s3.destroy();
}

describe('drill: the S3 stand-in down for 10 s', () => {
  let stack: DrillStack;
  after(() => stack?.close());

  it('the consumer retries, checkpoints only what is written, loses and repeats nothing', {
    timeout: 240_000,
  }, async () => {
    stack = await upWithConsumer();
    const checkpoints = sampleCheckpoints(stack);
    const ids = await produce(stack, { firstId: 6_000_000, count: 600, chunk: 60, gapMs: 150 });
    await stack.s3.stop();
    const during = produce(stack, { firstId: 7_000_000, count: 600, chunk: 60, gapMs: 800 });
    await sleep(OUTAGE_MS);
    await stack.s3.start();
    ids.push(...(await during));
    ids.push(...(await produce(stack, { firstId: 8_000_000, count: 300, chunk: 60, gapMs: 150 })));
    await waitForIds(stack, ids);
    await sleep(1500);
    await census(stack, ids, await checkpoints.stop());
  });
});

describe('drill: the Kinesis stand-in restarted', () => {
  let stack: DrillStack;
  after(() => stack?.close());

  it('the daemon resumes from its checkpoints: nothing lost, nothing twice', {
    timeout: 240_000,
  }, async () => {
    stack = await upWithConsumer();
    const checkpoints = sampleCheckpoints(stack);
    const ids = await produce(stack, { firstId: 9_000_000, count: 600, chunk: 60, gapMs: 150 });
    await stack.kinesis.stop();
    await sleep(5000);
    await stack.kinesis.start();
    ids.push(...(await produce(stack, { firstId: 10_000_000, count: 600, chunk: 60, gapMs: 150 })));
    await waitForIds(stack, ids);
    await sleep(1500);
    await census(stack, ids, await checkpoints.stop());
  });
});
