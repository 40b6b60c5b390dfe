// Fold assignment for the cross-validation of `npm run bench -- trainer` (crossValidation.ts), by
// recipe group (trainer/split.ts recipeGroup), with the production split's validation share.
import { createHash } from 'node:crypto';
import type { FeatureInput } from '../../lib/features.js';
import { recipeGroup, SPLIT_SHARES, type Split } from '../../trainer/split.js';

/** A 32-bit hash of a group and seed: it depends on nothing else, so a group keeps its fold as rows arrive. */
export function groupHash(key: string, seed: number): number {
  return createHash('sha256').update(`${seed}:${key}`).digest().readUInt32BE(0);
}

/** Of the groups not tested, the share a training validates on, as in production (a quarter). */
const VALIDATION_OF_REST = SPLIT_SHARES.validation / (100 - SPLIT_SHARES.test);

const trainOrValidation = (key: string, seed: number): Split =>
  (groupHash(key, seed + 7919) % 1000) / 1000 < VALIDATION_OF_REST ? 'validation' : 'train';

export const groupFoldOf = (row: FeatureInput, k: number, seed: number) =>
  groupHash(recipeGroup(row), seed) % k;

/**
 * Where a row goes in grouped k-fold cross-validation with `seed`: 'test' in its own fold, else
 * validation (a quarter of the other groups, by a second hash, for early stopping) or training.
 */
export function groupedSplitOf(row: FeatureInput, fold: number, k: number, seed: number): Split {
  const key = recipeGroup(row);
  if (groupHash(key, seed) % k === fold) return 'test';
  return trainOrValidation(key, seed);
}

/**
 * The inner split of an outer fold's non-test rows, on which a configuration is chosen: a k-th of
 * those groups (by a third hash) is the inner test, the rest train and validate as above. The
 * outer test rows are never looked at.
 */
export function innerSplitOf(row: FeatureInput, k: number, seed: number): Split {
  const key = recipeGroup(row);
  if (groupHash(key, seed + 104_729) % k === 0) return 'test';
  return trainOrValidation(key, seed);
}
