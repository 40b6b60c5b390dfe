// The quality benchmark's folds as a CSV table, so another model can be scored on exactly these
// folds and paired with ours row by row (bench/trainer/trees.py, or a replication of one's own):
// each scored row's id, outer fold, whether its group is in the inner test (innerSplitOf), recipe
// group, inputs after the data fixes (empty when missing), IBU, the tfjs model's out-of-fold
// prediction with each seed and each baseline's. Pure.
import { FEATURES, fixInputs } from '../../lib/features.js';
import { BASELINES } from '../../trainer/baselines.js';
import type { GroupedCrossValidation } from './crossValidation.js';
import { groupFoldOf, innerSplitOf } from './folds.js';

export function foldTableCsv(cv: GroupedCrossValidation, foldSeed: number): string {
  const header = [
    'id',
    'fold',
    'inner_test',
    'group',
    ...FEATURES,
    'ibu',
    ...cv.seeds.map((seed) => `model_seed_${seed}`),
    ...BASELINES,
  ];
  const lines = cv.rows.map((row, i) => {
    const fixed = fixInputs(row);
    return [
      row.id,
      groupFoldOf(row, cv.folds, foldSeed),
      innerSplitOf(row, cv.folds, foldSeed) === 'test',
      // A group key is a JSON array: quoted, since it holds commas.
      `"${cv.groups[i]}"`,
      ...FEATURES.map((input) => fixed[input] ?? ''),
      cv.actual[i],
      ...cv.predictions.model.map((run) => run[i]),
      ...BASELINES.map((b) => cv.predictions[b][0]?.[i]),
    ].join(',');
  });
  return `${[header.join(','), ...lines].join('\n')}\n`;
}
