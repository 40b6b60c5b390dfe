// lib/redis.ts against a private redis-server that the test stops, freezes and turns into a
// read-only replica: a command on a createRedis connection is answered or failed within a bound
// whatever Redis does, a subscription made while Redis is down comes up by itself, and a READONLY
// answer (an ElastiCache failover) reconnects and resends instead of failing the write.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { createRedis, REDIS_COMMAND_TIMEOUT_MS, subscription } from '../../lib/redis.js';
import { noRedisServer, type PrivateRedis, privateRedis } from '../support/redisServer.js';
import { sleep, until, waitFor } from '../support/wait.js';

const BOUND_MS = REDIS_COMMAND_TIMEOUT_MS + 2000;
let redis: PrivateRedis;
const connections: Redis[] = [];

function connect(make: () => Redis = () => createRedis(redis.url)): Redis {
  const connection = make();
  connection.on('error', () => {}); // Redis is stopped and frozen on purpose
  connections.push(connection);
  return connection;
}

/** How the promise settled, and after how long. */
async function settle(promise: Promise<unknown>): Promise<{ ok: boolean; value: unknown; ms: number }> {
  const started = Date.now();
  try {
    return { ok: true, value: await promise, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, value: error, ms: Date.now() - started };
  }
}

before(async () => {
  if (noRedisServer) return;
  redis = await privateRedis();
});

after(async () => {
  for (const connection of connections) connection.disconnect();
  await redis?.stop();
});

test('a command fails within the bound while Redis is down, frozen, or never started', {
  skip: noRedisServer,
}, async () => {
  // Never started: the command waits in the bounded offline queue, then fails.
  const early = connect();
  const never = await settle(early.get('k'));
  assert.equal(never.ok, false);
  assert.ok(never.ms < BOUND_MS, `${never.ms} ms`);

  await redis.start();
  const client = connect();
  assert.equal(await client.set('k', 'v'), 'OK');
  // Frozen: the socket stays open, nothing answers. The command timeout ends the wait.
  redis.pause();
  try {
    const frozen = await settle(client.get('k'));
    assert.equal(frozen.ok, false);
    assert.match(String(frozen.value), /timed out/i);
    assert.ok(frozen.ms < BOUND_MS, `${frozen.ms} ms`);
  } finally {
    redis.resume();
  }
  // Stopped: fails within the bound too, and the same connection works again once Redis is back.
  await redis.stop();
  const down = await settle(client.get('k'));
  assert.equal(down.ok, false);
  assert.ok(down.ms < BOUND_MS, `${down.ms} ms`);
  await redis.start();
  const back = await waitFor(
    'the same connection to answer again',
    () => settle(client.ping()),
    (answer) => answer.ok,
    10_000,
    0,
  );
  assert.equal(back.value, 'PONG');
});

test('a subscription made while Redis is down is made when it comes up, and again after a restart', {
  skip: noRedisServer,
}, async () => {
  await redis.stop();
  const heard: string[] = [];
  connect(() => subscription(redis.url, 'test:channel', { message: (text) => heard.push(text) }));
  const publisher = connect();
  const announce = async (text: string) => {
    // PUBLISH answers how many subscribers received the message.
    await until(
      `a subscriber to hear ${text}`,
      async () => (await publisher.publish('test:channel', text).catch(() => 0)) === 1,
      15_000,
      100,
    );
  };
  await redis.start();
  await announce('first');
  await redis.stop();
  await redis.start();
  await announce('second');
  await until(
    () => `both messages (heard: ${heard.join(', ')})`,
    async () => heard.length >= 2,
    5000,
    20,
  );
  assert.deepEqual(heard, ['first', 'second']);
});

test('a write answered READONLY (a failed-over primary) reconnects and goes through once writable', {
  skip: noRedisServer,
}, async () => {
  const admin = connect();
  const client = connect();
  assert.equal(await client.ping(), 'PONG');
  // The server turns into a read-only replica of a primary that does not exist, as the old primary
  // of a failover does until the DNS name points at the new one.
  await admin.replicaof('127.0.0.1', '1');
  const write = settle(client.set('failover', 'written'));
  await sleep(300);
  await admin.replicaof('NO', 'ONE');
  const result = await write;
  assert.equal(result.value, 'OK', String(result.value));
  assert.equal(await admin.get('failover'), 'written');
});
