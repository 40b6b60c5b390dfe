// From the cleaned table to model-ready arrays: rows with a trustworthy target, split by recipe
// group (trainer/split.ts), the preprocessing fitted on the training split only.
import type { CleanedRow } from '../lib/beer.js';
import { DataError, NotEnoughDataError } from '../lib/errors.js';
import {
  fitPreprocessing,
  hasSuspectTarget,
  type Preprocessing,
  RECIPE,
  targetToModel,
  toFeatureMatrix,
} from '../lib/features.js';
import { type Split, splitOf } from './split.js';

export interface Part {
  rows: CleanedRow[];
  x: Float32Array;
  /** Model-space target (standardised log1p IBU). */
  y: Float32Array;
  /** Target in IBU. */
  ibu: number[];
}

export interface Dataset {
  preprocessing: Preprocessing;
  train: Part;
  validation: Part;
  test: Part;
  /** Rows with an IBU left out of training and scoring because it cannot be trusted (lib/features hasSuspectTarget). */
  excluded: number;
}

export const MIN_ROWS = { train: 20, validation: 5, test: 5 };

export function hasTarget(row: CleanedRow): boolean {
  return row.ibu !== null && Number.isFinite(row.ibu);
}

/**
 * Builds the dataset, with `assign` choosing each row's split (by recipe group unless told otherwise)
 * and the feature recipe (lib/features; the current one unless told otherwise).
 */
export function buildDataset(
  rows: CleanedRow[],
  assign: (row: CleanedRow) => Split = splitOf,
  recipe: 1 | 2 = RECIPE,
): Dataset {
  if (rows.length === 0) throw new NotEnoughDataError('the cleaned table is empty');
  const withTarget = rows.filter(hasTarget);
  if (withTarget.length === 0) throw new DataError('no row has an ibu value to learn from');
  const labelled = withTarget.filter((row) => !hasSuspectTarget(row));
  const groups: Record<Split, CleanedRow[]> = { train: [], validation: [], test: [] };
  for (const row of labelled) groups[assign(row)].push(row);
  for (const split of ['train', 'validation', 'test'] as const) {
    if (groups[split].length < MIN_ROWS[split]) {
      throw new NotEnoughDataError(
        `too few rows to split: ${groups[split].length} in ${split} (needs ${MIN_ROWS[split]}; ${labelled.length} rows with ibu in all)`,
      );
    }
  }
  const preprocessing = fitPreprocessing(groups.train, recipe);
  const part = (split: Split): Part => {
    const partRows = groups[split];
    return {
      rows: partRows,
      x: toFeatureMatrix(partRows, preprocessing),
      y: Float32Array.from(partRows, (r) => targetToModel(r.ibu as number, preprocessing)),
      ibu: partRows.map((r) => r.ibu as number),
    };
  };
  return {
    preprocessing,
    train: part('train'),
    validation: part('validation'),
    test: part('test'),
    excluded: withTarget.length - labelled.length,
  };
}
