// The simple models every trained model is held against, fitted on the same training rows and
// scored on the same test rows: the constant training median; the one-parameter physics model
// (IBU = median IBU per OG point × OG points); and the linear regression, the original systems'
// model (trainer/linear.ts). "The best baseline" is whichever of them scores the lowest MAE.
import type { CleanedRow } from '../lib/beer.js';
import { fixInputs } from '../lib/features.js';
import { medianOf } from '../lib/stats.js';
import { fitLinear, predictLinear } from './linear.js';

export const BASELINES = ['median', 'physics', 'linear'] as const;
export type BaselineName = (typeof BASELINES)[number];

export interface Baselines {
  median: number;
  /** IBU per OG point, and the OG used for a beer without one. */
  physics: { ibuPerOgPoint: number; medianOg: number };
  linear: ReturnType<typeof fitLinear>;
}

const ogPoints = (og: number) => Math.max(og - 1000, 1);

/** `x` is the training rows' feature matrix (row-major, `inputs` wide), what the linear model takes. */
export function fitBaselines(rows: CleanedRow[], x: Float32Array, inputs: number): Baselines {
  const ibu = rows.map((r) => r.ibu as number);
  const fixed = rows.map(fixInputs);
  const medianOg = medianOf(fixed.flatMap((r) => (r.target_og === null ? [] : [r.target_og])));
  const ratios = fixed.flatMap((r, i) =>
    r.target_og === null || r.target_og <= 1000 ? [] : [(ibu[i] as number) / ogPoints(r.target_og)],
  );
  return {
    median: medianOf(ibu),
    physics: { ibuPerOgPoint: medianOf(ratios), medianOg },
    linear: fitLinear(matrixRows(x, inputs), ibu),
  };
}

/** Each baseline's IBU for the rows (and their feature matrix). */
export function predictBaselines(
  b: Baselines,
  rows: CleanedRow[],
  x: Float32Array,
  inputs: number,
): Record<BaselineName, number[]> {
  return {
    median: rows.map(() => b.median),
    physics: rows.map((row) => {
      const og = fixInputs(row).target_og ?? b.physics.medianOg;
      return b.physics.ibuPerOgPoint * ogPoints(og);
    }),
    linear: matrixRows(x, inputs).map((r) => predictLinear(b.linear, r)),
  };
}

/** The rows of a row-major feature matrix. */
export const matrixRows = (x: Float32Array, inputs: number) =>
  Array.from({ length: x.length / inputs }, (_, i) => Array.from(x.subarray(i * inputs, (i + 1) * inputs)));
