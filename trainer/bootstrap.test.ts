import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootstrapInterval, clustersOf, meanOf } from './bootstrap.js';

describe('bootstrapInterval', () => {
  it('is the point itself when every resample gives the same value', () => {
    const values = [3, 3, 3, 3];
    assert.deepEqual(
      bootstrapInterval(clustersOf(['a', 'b', 'c', 'd']), (rows) => meanOf(values, rows)),
      [3, 3],
    );
  });

  it('covers the mean of a spread sample, near the normal approximation, and repeats for a seed', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 0 : 10));
    const clusters = values.map((_, i) => [i]);
    const ci = bootstrapInterval(clusters, (rows) => meanOf(values, rows), { seed: 5 });
    // Mean 5, standard error 5/sqrt(400) = 0.25: about [4.51, 5.49].
    assert.ok(ci[0] > 4.3 && ci[0] < 4.7 && ci[1] > 5.3 && ci[1] < 5.7, `${ci}`);
    assert.deepEqual(
      bootstrapInterval(clusters, (rows) => meanOf(values, rows), { seed: 5 }),
      ci,
    );
  });

  it('resamples whole clusters', () => {
    // Two clusters: resamples are {a,a}, {a,b}, {b,b}; means 0, 5, 10.
    const values = [0, 0, 10, 10];
    const ci = bootstrapInterval(clustersOf(['a', 'a', 'b', 'b']), (rows) => meanOf(values, rows));
    assert.deepEqual(ci, [0, 10]);
  });

  it('gives NaN when a statistic is NaN', () => {
    assert.deepEqual(
      bootstrapInterval([[0]], () => Number.NaN),
      [Number.NaN, Number.NaN],
    );
  });
});
