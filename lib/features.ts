// The model's inputs and the preprocessing that must be repeated exactly at prediction time. The
// trainer fits a Preprocessing on the training split and stores it in the model's metadata; the
// server applies it to each request. Pure functions.
import { type ColumnTable, op } from 'arquero';
import { type Static, Type } from 'typebox';
import type { CleanedRow } from './beer.js';

export const FEATURES = ['abv', 'target_fg', 'target_og', 'ebc', 'srm', 'ph'] as const;
export type Feature = (typeof FEATURES)[number];
export type FeatureInput = Partial<Record<Feature, number | null>>;

/**
 * Colour (ebc, srm) and strength (abv) are right-skewed over orders of magnitude; a log keeps a
 * few imperial stouts from dominating the scale. The target, IBU, has outliers over 1000, so the
 * model learns log1p(IBU) and its predictions are mapped back.
 */
const LOG_FEATURES: readonly Feature[] = ['abv', 'ebc', 'srm'];

const feature = Type.Enum(FEATURES);
const perFeature = Type.Record(feature, Type.Number());

/** Stored in each model's metadata.json and read back by the server (lib/modelRegistry). */
export const preprocessingSchema = Type.Object({
  features: Type.Array(feature),
  /** Training medians, used for a missing value (before the log). */
  medians: perFeature,
  logFeatures: Type.Array(feature),
  /** Mean and standard deviation of each (logged) feature on the training split. */
  means: perFeature,
  stds: perFeature,
  /** lo/hi: the training range of log1p(IBU); predictions are clipped to it, so a beer far outside
   * the training data (an unseen extreme) cannot produce an absurd IBU through the exponential. */
  target: Type.Object({
    name: Type.Literal('ibu'),
    transform: Type.Literal('log1p'),
    mean: Type.Number(),
    std: Type.Number(),
    lo: Type.Number(),
    hi: Type.Number(),
  }),
});

export type Preprocessing = Static<typeof preprocessingSchema>;

export class DataError extends Error {}

const log1p = (x: number) => Math.log1p(Math.max(x, 0));

/** Fits the preprocessing on training rows (those with a target). */
export function fitPreprocessing(train: ColumnTable): Preprocessing {
  const stats = train.rollup(Object.fromEntries(FEATURES.map((f) => [f, op.median(f)]))).object() as Record<
    Feature,
    number | null
  >;
  const medians = {} as Record<Feature, number>;
  for (const feature of FEATURES) {
    const median = stats[feature];
    if (median === null || median === undefined || !Number.isFinite(median)) {
      throw new DataError(`feature ${feature} has no values in the training split`);
    }
    medians[feature] = median;
  }
  const base: Preprocessing = {
    features: [...FEATURES],
    medians,
    logFeatures: [...LOG_FEATURES],
    means: {} as Record<Feature, number>,
    stds: {} as Record<Feature, number>,
    target: { name: 'ibu', transform: 'log1p', mean: 0, std: 1, lo: 0, hi: 0 },
  };
  const rows = train.objects() as CleanedRow[];
  const raw = rows.map((row) => rawFeatures(row, base));
  FEATURES.forEach((feature, j) => {
    const [mean, std] = meanStd(raw.map((r) => r[j] as number));
    base.means[feature] = mean;
    base.stds[feature] = std > 1e-9 ? std : 1;
  });
  const logTargets = rows.map((row) => log1p(row.ibu as number));
  const [tMean, tStd] = meanStd(logTargets);
  // A loop, not Math.min(...values): a spread of a few hundred thousand arguments overflows the stack.
  base.target.lo = logTargets.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
  base.target.hi = logTargets.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  base.target.mean = tMean;
  base.target.std = tStd > 1e-9 ? tStd : 1;
  return base;
}

/** Imputed and logged, not yet standardised. */
function rawFeatures(row: FeatureInput, p: Preprocessing): number[] {
  return p.features.map((feature) => {
    const value = row[feature];
    const x = value === null || value === undefined || !Number.isFinite(value) ? p.medians[feature] : value;
    return p.logFeatures.includes(feature) ? log1p(x) : x;
  });
}

/** One row of standardised model inputs. */
export function featureVector(row: FeatureInput, p: Preprocessing): number[] {
  return rawFeatures(row, p).map((x, j) => {
    const feature = p.features[j] as Feature;
    return (x - p.means[feature]) / p.stds[feature];
  });
}

export function toFeatureMatrix(rows: FeatureInput[], p: Preprocessing): Float32Array {
  const out = new Float32Array(rows.length * p.features.length);
  rows.forEach((row, i) => {
    out.set(featureVector(row, p), i * p.features.length);
  });
  return out;
}

export const targetToModel = (ibu: number, p: Preprocessing) => (log1p(ibu) - p.target.mean) / p.target.std;
export const modelToTarget = (y: number, p: Preprocessing) => {
  const log = Math.min(p.target.hi, Math.max(p.target.lo, y * p.target.std + p.target.mean));
  return Math.expm1(log);
};

function meanStd(values: number[]): [number, number] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return [mean, Math.sqrt(variance)];
}
