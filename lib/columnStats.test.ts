import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { columnCounts, columnStats, QUANTILE_PROBS } from './columnStats.js';
import { quantile } from './stats.js';

describe('columnStats', () => {
  test('counts, missing values (null, absent, NaN) and deciles by linear interpolation', () => {
    const rows = [{ a: 1 }, { a: 2 }, { a: null }, { a: 4 }, { a: Number.NaN }, { a: 6 }, {}, { a: 10 }];
    const { a } = columnStats(rows, ['a']);
    assert.equal(a?.count, 8);
    assert.equal(a?.missing, 3);
    assert.equal(a?.missingShare, 3 / 8);
    // Present values 1, 2, 4, 6, 10: the median is 4, the 0.1 quantile 1 + 0.4 × (2 − 1).
    assert.equal(a?.quantiles?.[0], 1);
    assert.ok(Math.abs((a?.quantiles?.[1] ?? 0) - 1.4) < 1e-12);
    assert.equal(a?.quantiles?.[5], 4);
    assert.equal(a?.quantiles?.[10], 10);
  });

  test('agrees with the hand-written order statistics (lib/stats.ts) on a larger column', () => {
    const values = Array.from({ length: 997 }, (_, i) => ((i * 7919) % 1000) / 10);
    const { x } = columnStats(
      values.map((v) => ({ x: v })),
      ['x'],
    );
    const sorted = [...values].sort((p, q) => p - q);
    QUANTILE_PROBS.forEach((p, i) => {
      assert.ok(Math.abs((x?.quantiles?.[i] ?? Number.NaN) - quantile(sorted, p)) < 1e-9, `quantile ${p}`);
    });
  });

  test('a column with no values has null quantiles; no rows at all is all zeros', () => {
    assert.deepEqual(columnStats([{ b: null }, {}], ['b']).b, {
      count: 2,
      missing: 2,
      missingShare: 1,
      quantiles: null,
    });
    assert.deepEqual(columnStats([], ['b']).b, { count: 0, missing: 0, missingShare: 0, quantiles: null });
  });
});

describe('columnCounts', () => {
  test('nulls per column and values outside an inclusive range; a null is never out of range', () => {
    const rows = [
      { name: 'a', ph: 4 },
      { name: null, ph: 79 },
      { name: 'c', ph: null },
      { name: 'd', ph: -1 },
      { name: 'e', ph: 14 },
      { name: 'f', ph: 0 },
    ];
    assert.deepEqual(columnCounts(rows, ['name', 'ph'], { ph: [0, 14] }), [
      { column: 'name', nulls: 1, outOfRange: 0 },
      { column: 'ph', nulls: 1, outOfRange: 2 },
    ]);
  });

  test('a column name arquero would read as code stays a name', () => {
    const rows = [{ 'a"b': 5 }, { 'a"b': 50 }];
    assert.deepEqual(columnCounts(rows, ['a"b'], { 'a"b': [0, 10] }), [
      { column: 'a"b', nulls: 0, outOfRange: 1 },
    ]);
  });
});
