// The server with Redis away, on a private redis-server that the test stops, freezes and starts
// again: it listens and answers /health with Redis down from the start, /ready says what is
// missing, predictions keep coming from the loaded model, /retrain and the dashboard answer 503
// with a reason within a bound instead of hanging, and the model:promoted subscription comes up
// (and comes back) by itself.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LayersModel } from '@tensorflow/tfjs';
import type { Redis } from 'ioredis';
import { s3Client } from '../../lib/aws.js';
import { modelRegistry } from '../../lib/modelRegistry.js';
import { createRedis, MODEL_PROMOTED_CHANNEL } from '../../lib/redis.js';
import { loadTf, type Tf } from '../../lib/tfjs.js';
import { noRedisServer, type PrivateRedis, privateRedis } from '../support/redisServer.js';
import { startServer, type TestServer } from '../support/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { until } from '../support/wait.js';
import { publishModel, tinyModel } from './models.js';

const KEY = 'redis-down-key';
/** How long a request may take to be refused while Redis is away: well under a client's patience. */
const REFUSAL_BOUND_MS = 6000;

let stack: TestStack;
let tf: Tf;
let s3: S3Client;
let redis: PrivateRedis;
let server: TestServer | undefined;
let base: string;
let publisher: Redis | undefined;
const models: LayersModel[] = [];

async function call(path: string, init: RequestInit = {}) {
  const started = Date.now();
  const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body, ms: Date.now() - started };
}

const predict = () =>
  call('/predict', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ abv: 5, target_og: 1050 }),
  });

/** Refused with 503 and a reason, within the bound. */
async function refused(path: string, init: RequestInit = {}) {
  const r = await call(path, { ...init, headers: { 'x-api-key': KEY, ...init.headers } });
  assert.equal(r.status, 503, `${path}: ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body.error, 'string');
  assert.match(String(r.body.message), /redis/i);
  assert.ok(r.ms < REFUSAL_BOUND_MS, `${path} took ${r.ms} ms`);
}

/** Publishes a new champion and announces it until a subscriber hears it; the poll is off. */
async function promote(seed: number): Promise<string> {
  const model = tinyModel(tf, seed);
  models.push(model);
  const version = await publishModel(s3, stack.config.buckets.models, model, { champion: false });
  await modelRegistry(s3, stack.config.buckets.models).promote(version);
  if (!publisher) {
    publisher = createRedis(redis.url);
    publisher.on('error', () => {}); // Redis is stopped on purpose below
  }
  // PUBLISH answers how many subscribers got the message: 1 once the server is subscribed.
  await until('the server subscribed to model:promoted', async () => {
    const heard = await publisher
      ?.publish(MODEL_PROMOTED_CHANNEL, JSON.stringify({ version }))
      .catch(() => 0);
    return heard === 1;
  });
  await until(`the server swapped to ${version}`, async () => (await predict()).body.model === version);
  return version;
}

before(async () => {
  if (noRedisServer) return;
  stack = await startTestStack({ stream: false });
  ({ tf } = await loadTf('auto'));
  s3 = s3Client(stack.config);
  redis = await privateRedis();
});

after(async () => {
  publisher?.disconnect();
  await server?.close();
  await redis?.stop();
  s3?.destroy();
  for (const model of models) model.dispose();
  await stack?.close();
});

test('Redis down at start, then back, then away, frozen and back: the server serves throughout', {
  skip: noRedisServer,
  timeout: 180_000,
}, async () => {
  const first = tinyModel(tf, 11);
  models.push(first);
  const v1 = await publishModel(s3, stack.config.buckets.models, first);
  // 1. Redis is not running: the server still builds and listens.
  const started = Date.now();
  server = await startServer({
    stack,
    // The poll is off (10 minutes): a swap after start can only come from a model:promoted message.
    env: { REDIS_URL: redis.url, API_KEYS: KEY, CHAMPION_POLL_MS: '600000' },
    listenWithinMs: 15_000,
  });
  base = server.url;
  assert.ok(Date.now() - started < 15_000);
  assert.equal((await call('/health')).status, 200);
  await until('the champion loaded from S3', async () => (await call('/ready')).status === 200);
  assert.deepEqual((await call('/ready')).body, { status: 'ready', model: v1, redis: 'down', s3: 'ok' });
  const served = await predict();
  assert.equal(served.status, 200);
  assert.equal(served.body.model, v1);
  await refused('/retrain', { method: 'POST' });
  await refused('/retrain/1');
  await refused('/admin/queues/api/queues');

  // 2. Redis comes up: the subscription is made by itself, and a promotion swaps the model.
  await redis.start();
  await until('redis up in /ready', async () => (await call('/ready')).body.redis === 'up');
  const v2 = await promote(12);
  const queued = await call('/retrain', { method: 'POST', headers: { 'x-api-key': KEY } });
  assert.equal(queued.status, 202, JSON.stringify(queued.body));

  // 3. Redis stops: predictions go on, /retrain is refused at once, /ready stays 200 and says so.
  await redis.stop();
  await until('redis down in /ready', async () => (await call('/ready')).body.redis === 'down');
  const ready = await call('/ready');
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body, { status: 'ready', model: v2, redis: 'down', s3: 'ok' });
  for (let i = 0; i < 20; i += 1) {
    const r = await predict();
    assert.equal(r.status, 200);
    assert.equal(r.body.model, v2);
  }
  await refused('/retrain', { method: 'POST' });
  await refused('/retrain/1');
  await refused('/admin/queues/api/queues');

  // 4. Redis is back, then frozen: connections stay open but nothing answers. A command must time
  // out rather than hang the request.
  await redis.start();
  await until('redis up again in /ready', async () => (await call('/ready')).body.redis === 'up');
  // The subscription came back by itself: a promotion message swaps again.
  const v3 = await promote(13);
  redis.pause();
  try {
    await refused('/retrain', { method: 'POST' });
    const during = await predict();
    assert.equal(during.status, 200);
    assert.equal(during.body.model, v3);
    assert.equal((await call('/health')).status, 200);
  } finally {
    redis.resume();
  }
  // And it recovers: /retrain queues again.
  await until('retrain accepted again', async () => {
    const r = await call('/retrain', { method: 'POST', headers: { 'x-api-key': KEY } });
    return r.status === 202;
  });
});
