import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { predictedVsActualSvg, trainingCurveSvg } from './plots.js';

describe('trainingCurveSvg', () => {
  it('draws a history of 150,000 epochs (300,000 loss values; a spread of that many overflows the stack)', () => {
    const history = Array.from({ length: 150_000 }, (_, i) => ({
      epoch: i + 1,
      loss: 2 - i / 100_000,
      val_loss: i === 7 ? 5 : 2.1 - i / 100_000,
    }));
    const svg = trainingCurveSvg(history, 42);
    assert.match(svg, /^<svg/);
    // The y axis spans 0 (the floor the plot always shows) to the highest loss, 5.
    assert.match(svg, />5\.00</);
    assert.match(svg, />0\.00</);
  });
});

describe('predictedVsActualSvg', () => {
  it('draws at most 1,000 points a series of a test split of 100,000 rows, spread over all of it', () => {
    const actual = Array.from({ length: 100_000 }, (_, i) => i % 120);
    const model = actual.map((a, i) => (i === 99_900 ? 250 : a + 1));
    const baseline = actual.map((a) => a - 1); // down to -1
    const svg = predictedVsActualSvg(actual, model, baseline);
    assert.equal(svg.match(/<circle /g)?.length, 2000);
    assert.match(svg, /1000 of 100000 test rows/);
    // Both axes span the lowest value, -1, to the highest, 250 (row 99,900, the 999th drawn).
    assert.match(svg, />-1\.00</);
    assert.match(svg, />250</);
  });

  it('draws every point of a small test split', () => {
    const svg = predictedVsActualSvg([10, 20, 30], [11, 19, 33], [12, 22, 28]);
    assert.equal(svg.match(/<circle /g)?.length, 6);
    assert.match(svg, /\(test split\)/);
  });
});
