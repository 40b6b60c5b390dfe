import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDIS_RECONNECT_CAP_MS, reconnectDelay, reconnectOnReadonly } from './redis.js';

test('reconnection backs off from 100 ms, doubling, and never waits longer than the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(reconnectDelay), [100, 200, 400, 800, 1600]);
  assert.equal(REDIS_RECONNECT_CAP_MS, 2000);
  for (const attempt of [6, 10, 1000, 1e9]) assert.equal(reconnectDelay(attempt), 2000, String(attempt));
  // It never gives up: a number every time, never null.
  assert.equal(typeof reconnectDelay(Number.MAX_SAFE_INTEGER), 'number');
});

test('a READONLY answer (a failed-over primary) reconnects and resends; other errors do not', () => {
  assert.equal(reconnectOnReadonly(new Error("READONLY You can't write against a read only replica.")), 2);
  assert.equal(reconnectOnReadonly(new Error('ERR unknown command')), false);
  assert.equal(reconnectOnReadonly(new Error('LOADING Redis is loading the dataset in memory')), false);
});
