import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reasonKind, shardMetrics } from '../../lib/streamMetrics.js';
import { mergePending } from './streamMetrics.js';

test('pending metrics add their counts and keep the later gauges', () => {
  const merged = mergePending(
    { records: 3, lagMs: 900, freshnessMs: 1200, deadLetters: new Map([['abv', 1]]) },
    {
      records: 2,
      lagMs: 0,
      deadLetters: new Map([
        ['abv', 2],
        ['not JSON', 1],
      ]),
    },
  );
  assert.deepEqual(merged, {
    records: 5,
    lagMs: 0,
    freshnessMs: 1200,
    deadLetters: new Map([
      ['abv', 3],
      ['not JSON', 1],
    ]),
  });
});

test('a dead letter is counted under its reason’s kind', () => {
  assert.equal(reasonKind('abv: expected a finite number or null, got "x"'), 'abv');
  assert.equal(reasonKind('not JSON: Unexpected token'), 'not JSON');
  assert.equal(reasonKind('oversized: 2000000 bytes is over the 1048576-byte limit'), 'oversized');
  assert.equal(reasonKind('no colon at all'), 'no colon at all');
  assert.equal(reasonKind(': nothing before'), 'unknown');
});

test('a stored shard hash reads back with its dead letters by reason; missing gauges are null', () => {
  const at = Date.UTC(2030, 0, 1);
  assert.deepEqual(
    shardMetrics('shardId-000', {
      records: '42',
      lagMs: '0',
      updatedAt: String(at),
      'deadLetters:abv': '2',
      'deadLetters:not JSON': '1',
    }),
    {
      shardId: 'shardId-000',
      records: 42,
      lagMs: 0,
      freshnessMs: null,
      deadLetters: { abv: 2, 'not JSON': 1 },
      updatedAt: new Date(at).toISOString(),
    },
  );
});
