// The model's inputs, the data fixes, and the preprocessing that must be repeated exactly at
// prediction time. The trainer fits a Preprocessing on the training split and stores it in the
// model's metadata; the server applies it to each request. Pure functions.
//
// Two feature recipes exist, and the server must serve a champion of either:
// - recipe 1 (metadata without `recipe`): the six inputs as they are, abv/ebc/srm logged;
// - recipe 2 (`recipe: 2`, what the trainer fits now): the data fixes below applied to the inputs,
//   then gravity-derived features (OG points, apparent attenuation, ABV per OG point), EBC only
//   (EBC ≈ 1.97 × SRM: two copies of one colour add nothing), pH.
import { type Static, Type } from 'typebox';
import type { CleanedRow } from './beer.js';
import { DataError } from './errors.js';
import { medianOf } from './stats.js';

/** The request's inputs (and recipe 1's features). */
export const FEATURES = ['abv', 'target_fg', 'target_og', 'ebc', 'srm', 'ph'] as const;
export type Feature = (typeof FEATURES)[number];
export type FeatureInput = Partial<Record<Feature, number | null>>;

export const DERIVED_FEATURES = ['og_points', 'attenuation', 'abv_per_og_point'] as const;
export type DerivedFeature = (typeof DERIVED_FEATURES)[number];
export const MODEL_FEATURES = [...FEATURES, ...DERIVED_FEATURES] as const;
export type ModelFeature = Feature | DerivedFeature;

/** The recipe the trainer fits; older ones stay servable (featureVector dispatches on it). */
export const RECIPE = 2;
export const RECIPE_FEATURES: readonly ModelFeature[] = [
  'abv',
  'og_points',
  'attenuation',
  'abv_per_og_point',
  'ebc',
  'ph',
];

/**
 * Colour and strength are right-skewed over orders of magnitude; a log keeps a few imperial stouts
 * from dominating the scale. The target, IBU, has outliers over 1000, so the model learns
 * log1p(IBU) and its predictions are mapped back.
 */
const LOG_FEATURES_1: readonly Feature[] = ['abv', 'ebc', 'srm'];
const LOG_FEATURES_2: readonly ModelFeature[] = ['abv', 'ebc', 'og_points'];

const modelFeature = Type.Enum(MODEL_FEATURES);
const perInput = Type.Record(Type.Enum(FEATURES), Type.Number());
// The six inputs always (recipe 1 needs them all); the derived ones when a recipe uses them.
const perModelFeature = Type.Object({
  abv: Type.Number(),
  target_fg: Type.Number(),
  target_og: Type.Number(),
  ebc: Type.Number(),
  srm: Type.Number(),
  ph: Type.Number(),
  og_points: Type.Optional(Type.Number()),
  attenuation: Type.Optional(Type.Number()),
  abv_per_og_point: Type.Optional(Type.Number()),
});

/** Stored in each model's metadata.json and read back by the server (lib/modelRegistry). */
export const preprocessingSchema = Type.Object({
  /** Absent: recipe 1, the original preprocessing. */
  recipe: Type.Optional(Type.Literal(2)),
  features: Type.Array(modelFeature),
  /** Training medians of the inputs (after the data fixes, from recipe 2), used for a missing value. */
  medians: perInput,
  logFeatures: Type.Array(modelFeature),
  /** Mean and standard deviation of each (logged) feature on the training split. */
  means: perModelFeature,
  stds: perModelFeature,
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

// ---- Data fixes: the one place they live (docs/design.md "Data fixes") ----

/**
 * Fixes of the inputs, applied to training rows and, from recipe 2, to every request:
 * - a final gravity above the original one is a swapped pair (13 Punk API beers): swap it back;
 * - a pH outside [0, 14] is not a pH (one beer says 79): treated as missing.
 */
export function fixInputs<T extends FeatureInput>(row: T): T {
  const out = { ...row };
  const { target_og: og, target_fg: fg, ph } = row;
  if (isNumber(og) && isNumber(fg) && fg > og) {
    out.target_og = fg;
    out.target_fg = og;
  }
  if (isNumber(ph) && (ph < 0 || ph > 14)) out.ph = null;
  return out;
}

/**
 * A target that cannot be trusted: an IBU equal to the beer's OG (1085, 1157: the gravity typed
 * into the bitterness field). Such rows are left out of training and scoring, and counted.
 */
export const hasSuspectTarget = (row: Pick<CleanedRow, 'ibu' | 'target_og'>) =>
  isNumber(row.ibu) && isNumber(row.target_og) && row.ibu === row.target_og;

const isNumber = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

// ---- Fitting and applying the preprocessing ----

const log1p = (x: number) => Math.log1p(Math.max(x, 0));

/** A training row: the inputs and a target. */
export type TrainingRow = FeatureInput & Pick<CleanedRow, 'ibu'>;

/** Fits the preprocessing of `recipe` on training rows (those with a target). */
export function fitPreprocessing(train: readonly TrainingRow[], recipe: 1 | 2 = RECIPE): Preprocessing {
  const rows = train.map((row) => (recipe === 2 ? fixInputs(row) : row));
  const medians = {} as Record<Feature, number>;
  for (const feature of FEATURES) {
    const median = medianOf(rows.map((r) => r[feature]).filter(isNumber));
    if (Number.isNaN(median)) throw new DataError(`feature ${feature} has no values in the training split`);
    medians[feature] = median;
  }
  const features: ModelFeature[] = recipe === 2 ? [...RECIPE_FEATURES] : [...FEATURES];
  const logFeatures: ModelFeature[] = recipe === 2 ? [...LOG_FEATURES_2] : [...LOG_FEATURES_1];
  const zeros = Object.fromEntries(FEATURES.map((f) => [f, 0])) as Record<Feature, number>;
  const base: Preprocessing = {
    ...(recipe === 2 ? { recipe: 2 as const } : {}),
    features,
    medians,
    logFeatures,
    means: { ...zeros },
    stds: { ...zeros, ...Object.fromEntries(FEATURES.map((f) => [f, 1])) },
    target: { name: 'ibu', transform: 'log1p', mean: 0, std: 1, lo: 0, hi: 0 },
  };
  const raw = rows.map((row) => rawFeatures(row, base));
  features.forEach((feature, j) => {
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

/** The inputs with missing values imputed (and, from recipe 2, fixed first): what the model saw. */
export function imputed(row: FeatureInput, p: Preprocessing): Record<Feature, number> {
  const fixed = p.recipe === 2 ? fixInputs(row) : row;
  const out = {} as Record<Feature, number>;
  for (const feature of FEATURES) {
    const value = fixed[feature];
    out[feature] = isNumber(value) ? value : p.medians[feature];
  }
  return out;
}

/** Every feature a recipe may use, from imputed inputs. */
function allFeatures(x: Record<Feature, number>): Record<ModelFeature, number> {
  // A gravity at or below water's (1000) is no gravity: one point keeps the ratios finite.
  const points = Math.max(x.target_og - 1000, 1);
  return {
    ...x,
    og_points: points,
    attenuation: (x.target_og - x.target_fg) / points,
    abv_per_og_point: x.abv / points,
  };
}

/** Imputed, derived and logged, not yet standardised. */
function rawFeatures(row: FeatureInput, p: Preprocessing): number[] {
  const all = allFeatures(imputed(row, p));
  return p.features.map((feature) => (p.logFeatures.includes(feature) ? log1p(all[feature]) : all[feature]));
}

/** One row of standardised model inputs. */
export function featureVector(row: FeatureInput, p: Preprocessing): number[] {
  return rawFeatures(row, p).map((x, j) => {
    const feature = p.features[j] as ModelFeature;
    const mean = p.means[feature];
    const std = p.stds[feature];
    if (mean === undefined || std === undefined) {
      throw new DataError(`preprocessing has no mean/std for feature ${feature}`);
    }
    return (x - mean) / std;
  });
}

export function toFeatureMatrix(rows: readonly FeatureInput[], p: Preprocessing): Float32Array {
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
