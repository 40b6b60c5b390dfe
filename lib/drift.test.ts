import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { binEdges, binOf, binShares, driftReport, featurePsi, inputReference, psi } from './drift.js';

/** A reproducible stream of numbers in [0, 1) (a linear congruential generator). */
function uniform(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('bins', () => {
  test('the inner deciles, repeats once, are the edges; a value goes to the first edge at or above it', () => {
    assert.deepEqual(binEdges([0, 1, 1, 2, 3, 3, 3, 4, 5, 6, 9]), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(binEdges(null), []);
    assert.equal(binOf(0.5, [1, 2, 3]), 0);
    assert.equal(binOf(1, [1, 2, 3]), 0);
    assert.equal(binOf(1.5, [1, 2, 3]), 1);
    assert.equal(binOf(99, [1, 2, 3]), 3);
    assert.deepEqual(binShares([0, 1, 2, 5, null, undefined], [1, 2]), [0.5, 0.25, 0.25]);
  });

  test('psi: identical distributions give 0; a known pair gives the textbook value', () => {
    assert.equal(psi([0.5, 0.5], [0.5, 0.5]), 0);
    // (0.2 − 0.5)·ln(0.2/0.5) + (0.8 − 0.5)·ln(0.8/0.5)
    const expected = -0.3 * Math.log(0.4) + 0.3 * Math.log(1.6);
    assert.ok(Math.abs(psi([0.5, 0.5], [0.2, 0.8]) - expected) < 1e-12);
  });
});

describe('drift of a window against a training reference', () => {
  const next = uniform(7);
  const training = Array.from({ length: 2000 }, () => ({
    abv: 3 + 6 * next(),
    ph: next() < 0.1 ? null : 4 + next(),
  }));
  const reference = inputReference(training, ['abv', 'ph']);
  const draw = (n: number, abvFactor: number, seed: number) => {
    const r = uniform(seed);
    return Array.from({ length: n }, (_, i) => ({
      time: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(),
      inputs: { abv: (3 + 6 * r()) * abvFactor, ph: r() < 0.1 ? null : 4 + r() },
    }));
  };

  test('the reference holds each bin share of the training values and the missing share', () => {
    const abv = reference.features.abv;
    assert.equal(abv?.bins.shares.length, (abv?.bins.edges.length ?? 0) + 1);
    for (const share of abv?.bins.shares ?? []) assert.ok(Math.abs(share - 0.1) < 0.01);
    assert.ok(Math.abs((reference.features.ph?.missingShare ?? 0) - 0.1) < 0.03);
  });

  test('inputs drawn like the training data give a low index; ABV doubled crosses 0.2', () => {
    const same = driftReport({
      version: 'v',
      reference,
      window: draw(1000, 1, 99),
      threshold: 0.2,
      minRows: 100,
    });
    assert.equal(same.drift, false);
    for (const f of same.features) assert.ok((f.psi ?? 1) < 0.05, `${f.feature} ${f.psi}`);
    const shifted = driftReport({
      version: 'v',
      reference,
      window: draw(1000, 2, 99),
      threshold: 0.2,
      minRows: 100,
    });
    assert.equal(shifted.drift, true);
    assert.deepEqual(
      shifted.features.map((f) => [f.feature, f.drift]),
      [
        ['abv', true],
        ['ph', false],
      ],
    );
    assert.equal(shifted.window.rows, 1000);
    assert.equal(shifted.window.from, '2030-01-01T00:00:00.000Z');
  });

  test('a feature that starts arriving empty drifts through its missing share', () => {
    const value = featurePsi(
      reference.features.abv ?? assert.fail('no abv reference'),
      Array.from({ length: 200 }, () => null),
    );
    assert.ok((value ?? 0) > 1);
  });

  test('no rows: psi null, no drift; fewer than minRows: figures but no drift', () => {
    const empty = driftReport({ version: 'v', reference, window: [], threshold: 0.2, minRows: 100 });
    assert.deepEqual(empty.window, { from: null, to: null, rows: 0 });
    assert.deepEqual(
      empty.features.map((f) => f.psi),
      [null, null],
    );
    const few = driftReport({
      version: 'v',
      reference,
      window: draw(50, 2, 5),
      threshold: 0.2,
      minRows: 100,
    });
    assert.equal(few.drift, false);
    assert.ok((few.features[0]?.psi ?? 0) > 0.2);
  });

  test('a version without a reference reports no features and no drift', () => {
    const report = driftReport({
      version: 'old',
      reference: undefined,
      window: draw(10, 1, 1),
      threshold: 0.2,
      minRows: 1,
    });
    assert.deepEqual(report.features, []);
    assert.equal(report.drift, false);
  });
});
