// Failure drills: Redis away (README "Failure drills"). The consumer keeps its place, loses and
// repeats nothing, never checkpoints past what is written; the retrain request arrives once Redis
// is back; the server keeps answering.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { s3Client } from '../../lib/aws.js';
import { RETRAIN_QUEUE } from '../../lib/redis.js';
import { assertCensus, assertCheckpointsWritten } from '../support/census.js';
import { produce, sampleCheckpoints, waitForIds, waitForServer, watchServer } from '../support/drillLoad.js';
import { type DrillStack, startDrillStack } from '../support/drillStack.js';
import { freePort } from '../support/ports.js';
import { sleep, waitAtMost } from '../support/wait.js';

const CONSUMER_ENV = {
  BATCH_MAX_AGE_MS: '300',
  KCL_POLL_INTERVAL_MS: '100',
  KCL_LEASE_TTL_MS: '3000',
  KCL_SHARD_SYNC_MS: '1000',
};
const OUTAGE_MS = 10_000;

/** The newest event of the retrain queue (a job added, or joined to the waiting one) after `since`. */
async function retrainRequestedSince(stack: DrillStack, since: number): Promise<string | undefined> {
  const redis = new Redis(stack.redis.url);
  try {
    const request = await waitAtMost(
      async () =>
        (await redis.xrange(`${stack.config.queuePrefix}:${RETRAIN_QUEUE}:events`, String(since), '+')).find(
          ([, fields]) => ['added', 'deduplicated'].includes(fields[1] as string),
        ),
      (found) => found !== undefined,
      30_000,
      500,
    );
    return request && `${request[1][1]} at ${new Date(Number(request[0].split('-')[0])).toISOString()}`;
  } finally {
    redis.disconnect();
  }
}

/** The checkpoints in Redis now. */
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

describe('drill: Redis stopped for 10 s mid-stream', () => {
  let stack: DrillStack;
  after(() => stack?.close());

  it('loses nothing, repeats nothing, checkpoints only what is written, asks for a retrain once Redis is back', {
    timeout: 240_000,
  }, async () => {
    stack = await startDrillStack({ env: CONSUMER_ENV });
    await Promise.all([stack.redis.start(), stack.kinesis.start(), stack.s3.start()]);
    await stack.provision(2);
    const port = await freePort();
    stack.role(['consumer', 'cleaned']);
    stack.role(['server'], { PORT: String(port) });
    await waitForServer(port);
    const checkpoints = sampleCheckpoints(stack);
    const server = watchServer(stack, port);

    const ids = await produce(stack, { firstId: 1_000_000, count: 600, chunk: 60, gapMs: 150 });
    await stack.redis.stop();
    const outage = produce(stack, { firstId: 2_000_000, count: 600, chunk: 60, gapMs: 800 });
    await sleep(OUTAGE_MS);
    await stack.redis.start();
    const backAt = Date.now();
    ids.push(...(await outage));
    ids.push(...(await produce(stack, { firstId: 3_000_000, count: 300, chunk: 60, gapMs: 150 })));

    await waitForIds(stack, ids);
    await sleep(1500); // the last checkpoints land
    const seen = await checkpoints.stop();
    const { requests, failures } = server.stop();
    const s3 = s3Client(stack.config);
    const objects = await assertCensus(s3, stack.config.buckets.cleaned, ids);
    const final = await checkpointsNow(stack);
    assert.equal(final.length, 2, 'a checkpoint per shard');
    assertCheckpointsWritten(objects, [...seen, ...final]);
    assert.ok(await retrainRequestedSince(stack, backAt), 'a retrain was requested after Redis came back');
    assert.deepEqual(failures, [], `${failures.length} of ${requests} server requests failed`);
    s3.destroy();
  });
});

describe('drill: Redis down when the stack starts', () => {
  let stack: DrillStack;
  let serverFailures: string[] = [];
  let serverFirstOk: number | undefined;
  let redisStartedAt = 0;
  after(() => stack?.close());

  it('the consumer waits for Redis, then loses and repeats nothing; the retrain request arrives', {
    timeout: 240_000,
  }, async () => {
    stack = await startDrillStack({ env: CONSUMER_ENV });
    await Promise.all([stack.kinesis.start(), stack.s3.start()]);
    await stack.provision(2);
    const port = await freePort();
    const startedAt = Date.now();
    stack.role(['consumer', 'cleaned']);
    stack.role(['server'], { PORT: String(port) });
    const server = watchServer(stack, port);
    const ids = await produce(stack, { firstId: 4_000_000, count: 600, chunk: 60, gapMs: 300 });
    await sleep(Math.max(0, startedAt + OUTAGE_MS - Date.now()));
    redisStartedAt = Date.now();
    await stack.redis.start();
    const checkpoints = sampleCheckpoints(stack);
    ids.push(...(await produce(stack, { firstId: 5_000_000, count: 300, chunk: 60, gapMs: 150 })));

    await waitForIds(stack, ids);
    await sleep(1500);
    const seen = await checkpoints.stop();
    ({ failures: serverFailures, firstOk: serverFirstOk } = server.stop());
    const s3 = s3Client(stack.config);
    const objects = await assertCensus(s3, stack.config.buckets.cleaned, ids);
    const final = await checkpointsNow(stack);
    assert.equal(final.length, 2, 'a checkpoint per shard');
    assertCheckpointsWritten(objects, [...seen, ...final]);
    assert.ok(await retrainRequestedSince(stack, startedAt), 'a retrain was requested once Redis was up');
    s3.destroy();
  });

  it('the server answers from its start, with Redis still down', () => {
    assert.ok(
      serverFirstOk !== undefined && serverFirstOk < redisStartedAt,
      'the server answered /health while Redis was still down',
    );
    assert.deepEqual(serverFailures, []);
  });
});
