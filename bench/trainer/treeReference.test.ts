import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareWithTrees } from './treeReference.js';

describe('the tree reference', () => {
  it('gives each family its MAE and the paired difference model − family, with an interval over groups', () => {
    const model = [1, 2, 3, 6];
    const out = compareWithTrees(model, ['a', 'b', 'c', 'd'], {
      forest: { chosen: [[3, 0.5, 'recipe 2']], errors: [2, 2, 2, 2] },
    });
    const forest = out.forest;
    assert.ok(forest);
    assert.equal(forest.mae, 2);
    // Differences -1, 0, 1, 4: mean 1.
    assert.equal(forest.modelMinusTree.value, 1);
    const [low, high] = forest.modelMinusTree.ci95;
    assert.ok(low >= -1 && low < 1 && high > 1 && high <= 4, `${low}, ${high}`);
    assert.deepEqual(forest.chosen, [[3, 0.5, 'recipe 2']]);
  });

  it('resamples recipe groups, not rows: one group of identical differences has no spread', () => {
    const out = compareWithTrees([5, 5, 5], ['g', 'g', 'g'], { t: { chosen: [], errors: [2, 2, 2] } });
    assert.deepEqual(out.t?.modelMinusTree.ci95, [3, 3]);
  });

  it('refuses errors that do not line up with the rows', () => {
    assert.throws(
      () => compareWithTrees([1, 2], ['a', 'b'], { t: { chosen: [], errors: [1] } }),
      /gave 1 errors for t, expected 2/,
    );
  });
});
