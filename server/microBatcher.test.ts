import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MicroBatcher } from './microBatcher.js';
import type { FeatureRow } from './modelHolder.js';

test('requests in one event-loop turn share one call and each gets its own rows back', async () => {
  const calls: number[] = [];
  const batcher = new MicroBatcher(
    (rows: FeatureRow[]) => {
      calls.push(rows.length);
      return { ibu: rows.map((r) => (r.abv as number) * 10), version: 'v' };
    },
    { windowMs: 0, maxRows: 1000 },
  );
  const results = await Promise.all([
    batcher.submit([{ abv: 1 }]),
    batcher.submit([{ abv: 2 }, { abv: 3 }]),
    batcher.submit([{ abv: 4 }]),
  ]);
  assert.deepEqual(calls, [4]);
  assert.deepEqual(
    results.map((r) => Array.from(r.ibu)),
    [[10], [20, 30], [40]],
  );
});

test('flushes at maxRows, and a failing call rejects every request in it', async () => {
  const calls: number[] = [];
  const batcher = new MicroBatcher(
    (rows: FeatureRow[]) => {
      calls.push(rows.length);
      if (rows.some((r) => r.abv === 0)) throw new Error('boom');
      return { ibu: rows.map(() => 1), version: 'v' };
    },
    { windowMs: 0, maxRows: 2 },
  );
  const a = batcher.submit([{ abv: 1 }]);
  const b = batcher.submit([{ abv: 2 }]);
  const c = batcher.submit([{ abv: 0 }]);
  await Promise.all([a, b]);
  await assert.rejects(c, /boom/);
  assert.deepEqual(calls, [2, 1]);
});
