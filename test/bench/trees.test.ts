// bench/trainer/trees.py through treeFamilies, as the trainer benchmark runs it: a real Python with
// scikit-learn on a fold table whose IBU follows the inputs, so every family must learn it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GroupedCrossValidation } from '../../bench/trainer/crossValidation.js';
import { foldTableCsv } from '../../bench/trainer/foldTable.js';
import { pythonWithSklearn, treeFamilies } from '../../bench/trainer/treeReference.js';
import type { CleanedRow } from '../../lib/beer.js';
import { recipeGroup } from '../../trainer/split.js';

const python = pythonWithSklearn();

// 120 beers, distinct recipes; bitterness rises with strength and falls with colour.
const rows = Array.from({ length: 120 }, (_, i) => {
  const abv = 4 + (i % 40) / 5;
  const ebc = 5 + ((i * 7) % 60);
  return {
    id: i + 1,
    abv,
    target_og: 1030 + i,
    target_fg: 1008 + (i % 5),
    ebc,
    srm: ebc / 1.97,
    ph: i % 9 === 0 ? null : 4.4,
    ibu: Math.round(10 * abv + 40 - ebc / 2),
  } as unknown as CleanedRow;
});
const actual = rows.map((r) => r.ibu as number);
const cv: GroupedCrossValidation = {
  rows,
  actual,
  groups: rows.map(recipeGroup),
  predictions: { model: [actual], median: [actual], physics: [actual], linear: [actual] },
  selection: [],
  excluded: 0,
  folds: 5,
  seeds: [1],
};

describe('the tree reference (trees.py)', {
  skip: python ? false : 'no python3 imports scikit-learn (scripts/ensure-sklearn.sh)',
}, () => {
  it('fits each family on the folds, chooses a setting per fold, and returns an error for every row', async () => {
    process.env.BENCH_TREES_QUICK = '1';
    const out = await treeFamilies(foldTableCsv(cv, 1));
    assert.ok('families' in out, JSON.stringify(out));
    assert.deepEqual(Object.keys(out.families).sort(), [
      'extra_trees',
      'hist_gradient_boosting',
      'random_forest',
    ]);
    const mean = actual.reduce((a, b) => a + b, 0) / actual.length;
    const constantMae = actual.reduce((sum, a) => sum + Math.abs(a - mean), 0) / actual.length;
    for (const [name, family] of Object.entries(out.families)) {
      assert.equal(family.errors.length, rows.length, name);
      assert.equal(family.chosen.length, 5, name);
      assert.ok(
        family.errors.every((e) => Number.isFinite(e) && e >= 0),
        name,
      );
      const mae = family.errors.reduce((a, b) => a + b, 0) / family.errors.length;
      assert.ok(mae < constantMae / 2, `${name}: MAE ${mae} against ${constantMae} for a constant`);
    }
  });
});
