import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CleanedRow } from '../lib/beer.js';
import { fitBaselines, predictBaselines } from './baselines.js';

const row = (id: number, ibu: number, og: number | null, fg: number | null = 1010): CleanedRow => ({
  id,
  name: null,
  ibu,
  abv: 5,
  target_og: og,
  target_fg: fg,
  ebc: 20,
  srm: 10,
  ph: 4.4,
});

describe('baselines', () => {
  // IBU per OG point: 20/40 = 0.5, 60/60 = 1, 140/70 = 2 (its OG/FG swapped), median 1.
  const train = [row(1, 20, 1040), row(2, 60, 1060), row(3, 140, 1010, 1070)];
  const x = Float32Array.from([0, 1, 2]);
  const fitted = fitBaselines(train, x, 1);

  it('the median baseline predicts the training median IBU', () => {
    assert.equal(fitted.median, 60);
  });

  it('the physics baseline is the median IBU per OG point times the OG points, after the data fixes', () => {
    assert.deepEqual(fitted.physics, { ibuPerOgPoint: 1, medianOg: 1060 });
    const test = [row(4, 0, 1080), row(5, 0, 1005, 1050), row(6, 0, null)];
    const predicted = predictBaselines(fitted, test, Float32Array.from([1, 1, 1]), 1);
    // 80 points; a swapped pair read as OG 1050; a missing OG as the training median's 60 points.
    assert.deepEqual(predicted.physics, [80, 50, 60]);
    assert.deepEqual(predicted.median, [60, 60, 60]);
  });

  it('the linear baseline is least squares on the feature matrix', () => {
    // IBU 20, 60, 140 against x 0, 1, 2: slope 60, intercept 13.33.
    const [p] = predictBaselines(fitted, [row(7, 0, 1050)], Float32Array.from([3]), 1).linear;
    assert.ok(Math.abs((p as number) - (40 / 3 + 180)) < 1e-3, `${p}`);
  });
});
