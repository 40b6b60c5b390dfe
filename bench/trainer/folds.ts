// Fold assignment for the cross-validation of `npm run bench -- trainer` (crossValidation.ts):
// by id hash, as the splits of a training are (trainer/split.ts), or by recipe group.
import { createHash } from 'node:crypto';
import type { FeatureInput } from '../../lib/features.js';
import { idBucket, recipeKey, type Split } from '../../trainer/split.js';

/** Cross-validation fold (0..k-1) by the hash of a training's splits. */
export const foldOf = (id: number, k: number) => idBucket(id) % k;

/** A 32-bit hash of a group and seed: it depends on nothing else, so a group keeps its fold as rows arrive. */
export function groupHash(key: string, seed: number): number {
  return createHash('sha256').update(`${seed}:${key}`).digest().readUInt32BE(0);
}

/**
 * Where a row goes in grouped k-fold cross-validation with `seed`: 'test' in its own fold, else
 * validation (an eighth of the groups, by a second hash, for early stopping) or training.
 */
export function groupedSplitOf(row: FeatureInput, fold: number, k: number, seed: number): Split {
  const key = recipeKey(row);
  if (groupHash(key, seed) % k === fold) return 'test';
  return groupHash(key, seed + 7919) % 8 === 0 ? 'validation' : 'train';
}

export const groupFoldOf = (row: FeatureInput, k: number, seed: number) =>
  groupHash(recipeKey(row), seed) % k;
