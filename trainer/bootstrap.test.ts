import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootstrapInterval, bootstrapMeanInterval, clustersOf, meanOf } from './bootstrap.js';

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

describe('bootstrapMeanInterval', () => {
  it('resamples whole clusters: two clusters give means 0, 5 and 10 only', () => {
    assert.deepEqual(bootstrapMeanInterval([0, 0, 10, 10], clustersOf(['a', 'a', 'b', 'b'])), [0, 10]);
  });

  it('weights a cluster by its rows: clusters of 3 zeros and of 1 ten: the middle 20% of resample means is 10/4, not 5', () => {
    // Resamples {A,A} 0 (1/4 of them), {A,B} 10/4 = 2.5 (1/2), {B,B} 10 (1/4); a row mean would be 5.
    const ci = bootstrapMeanInterval([0, 0, 0, 10], clustersOf(['a', 'a', 'a', 'b']), { level: 0.2 });
    assert.deepEqual(ci, [2.5, 2.5]);
  });

  it('covers the mean of a spread sample near the normal approximation, and repeats for a seed', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 0 : 10));
    const clusters = values.map((_, i) => [i]);
    const ci = bootstrapMeanInterval(values, clusters, { seed: 5 });
    // Mean 5, standard error 5/sqrt(400) = 0.25: about [4.51, 5.49].
    assert.ok(ci[0] > 4.3 && ci[0] < 4.7 && ci[1] > 5.3 && ci[1] < 5.7, `${ci}`);
    assert.deepEqual(bootstrapMeanInterval(values, clusters, { seed: 5 }), ci);
  });

  it('gives NaN when a value is NaN', () => {
    assert.deepEqual(bootstrapMeanInterval([Number.NaN], [[0]]), [Number.NaN, Number.NaN]);
  });
});
