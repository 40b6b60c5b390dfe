// Splits by recipe group: every row of a group lands in the same split, chosen by a hash of the
// group alone, so a candidate is tested (and early-stopped) only on recipes it never trained on,
// and a group keeps its split whatever else is in the table (the test set only grows).
import { createHash } from 'node:crypto';
import type { FeatureInput } from '../lib/features.js';
import { fixInputs } from '../lib/features.js';

export type Split = 'train' | 'validation' | 'test';

/**
 * The inputs that make two beers the same recipe for this task: ABV, OG and FG after the data
 * fixes (a swapped OG/FG pair is the fixed one). Colour, pH and which values are missing are left
 * out: BrewDog's series ("Hammer": Jack, Monk, Chili, Rye, Black, all 7.2% / 1065 / 1010 at 250
 * IBU; "Hello My Name Is…" at 70 IBU) reuse one base beer with another colour or adjunct, and a
 * key with colour in it split them over folds, so a model was scored on recipes it had seen.
 * A missing value is kept as null (a beer without OG is not one with OG 0).
 */
export function recipeGroup(row: FeatureInput): string {
  const fixed = fixInputs(row);
  return JSON.stringify([fixed.abv ?? null, fixed.target_og ?? null, fixed.target_fg ?? null]);
}

/** 0..99, stable for a string: the same SHA-256 bucket as ever, now of a recipe group. */
export function bucketOf(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % 100;
}

/**
 * Shares of the production split, in buckets of 100. Validation is 20 (it was 10 of the id hash):
 * early stopping judged on about 35 rows stopped on noise.
 */
export const SPLIT_SHARES = { test: 20, validation: 20 } as const;

/** A recipe group's split. */
export function splitOfGroup(group: string): Split {
  const bucket = bucketOf(group);
  if (bucket < SPLIT_SHARES.test) return 'test';
  if (bucket < SPLIT_SHARES.test + SPLIT_SHARES.validation) return 'validation';
  return 'train';
}

/** A row's split in a training: its recipe group's. */
export const splitOf = (row: FeatureInput): Split => splitOfGroup(recipeGroup(row));
