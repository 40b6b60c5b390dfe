// Deterministic splits by a hash of the beer id: a beer is always in the same split, whatever else
// is in the table, so the test set only grows as data arrives and models are compared fairly.
import { createHash } from 'node:crypto';
import { FEATURES, type FeatureInput, fixInputs } from '../lib/features.js';

export type Split = 'train' | 'validation' | 'test';

/** 0..99, stable for an id. */
export function idBucket(id: number): number {
  return createHash('sha256').update(String(id)).digest().readUInt32BE(0) % 100;
}

export function splitOf(id: number): Split {
  const bucket = idBucket(id);
  if (bucket < 20) return 'test';
  if (bucket < 30) return 'validation';
  return 'train';
}

/**
 * The recipe group of a row: its inputs after the data fixes. Beers sharing one (nine "Hello My
 * Name Is…" at 70 IBU, the "Hammer" series) are copies of a recipe, and evaluation keeps them
 * on one side of a split, or a model is scored on a recipe it has already seen.
 */
export const recipeKey = (row: FeatureInput) => {
  const fixed = fixInputs(row);
  return JSON.stringify(FEATURES.map((f) => fixed[f] ?? null));
};

/**
 * The recipe group a row belongs to, under the name the training-set choice (trainer/sample.ts)
 * and the model-quality work share; for now the recipe key itself.
 */
export const recipeGroup = (row: FeatureInput): string => recipeKey(row);
