// The local daemon's lease (local/kcl-daemon/lease.ts) against a private redis-server that the test
// freezes: a claim sent while Redis does not answer can land after its client has given up on it
// (the command timed out), and the daemon's next attempt must find its own lease, not refuse to
// run beside "another daemon" that is itself. Found by the Redis-down-at-start drill.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createRedis, REDIS_COMMAND_TIMEOUT_MS } from '../../lib/redis.js';
import { acquireLease, type Lease } from '../../local/kcl-daemon/lease.js';
import { noRedisServer, type PrivateRedis, privateRedis } from '../support/redisServer.js';
import { sleep } from '../support/wait.js';

const KEY = 'kcl:lease-test:beers:lease';
const TTL_MS = 3000;
let redis: PrivateRedis;
const connections: Redis[] = [];
const leases: Lease[] = [];

function connect(): Redis {
  const connection = createRedis(redis.url);
  connection.on('error', () => {}); // Redis is frozen on purpose
  connections.push(connection);
  return connection;
}

before(async () => {
  if (noRedisServer) return;
  redis = await privateRedis();
  await redis.start();
});

after(async () => {
  for (const lease of leases) await lease.release().catch(() => {});
  for (const connection of connections) connection.disconnect();
  await redis?.stop();
});

describe('the local daemon lease', { skip: noRedisServer }, () => {
  it('a claim that lands after its client gave up is found as ours on the next attempt', {
    timeout: 30_000,
  }, async () => {
    const daemon = connect();
    const observer = connect();
    await observer.del(KEY);
    let waits = 0;
    redis.pause();
    const acquiring = acquireLease(daemon, KEY, 'daemon-a', TTL_MS, () => {}, {
      onWait: () => {
        waits += 1;
      },
    });
    // Long enough for the first claim to time out in the client while it sits in the socket.
    await sleep(REDIS_COMMAND_TIMEOUT_MS + 500);
    redis.resume();
    const lease = await acquiring;
    leases.push(lease);
    assert.ok(waits >= 1, 'the first claim timed out while Redis was frozen');
    assert.equal(await observer.get(KEY), 'daemon-a');
  });

  it('a lease another live daemon holds is refused, naming the holder', { timeout: 30_000 }, async () => {
    const observer = connect();
    await observer.set(KEY, 'daemon-b', 'PX', 60_000);
    await assert.rejects(
      acquireLease(connect(), KEY, 'daemon-c', TTL_MS, () => {}),
      (error: Error) => error.name === 'LeaseHeld' && error.message.includes('daemon-b'),
    );
    assert.equal(await observer.get(KEY), 'daemon-b', 'the holder keeps its lease');
    await observer.del(KEY);
  });
});
