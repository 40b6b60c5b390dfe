import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupedSplitOf, groupFoldOf, innerSplitOf } from './folds.js';

// A table of beers with distinct recipes (OG 1030..), and some exact copies of a recipe.
const beer = (i: number) => ({
  abv: 4 + (i % 9),
  target_og: 1030 + i,
  target_fg: 1008,
  ebc: 10 + (i % 40),
  srm: null,
  ph: 4.4,
});
const table = Array.from({ length: 300 }, (_, i) => beer(i));

describe('grouped fold assignment', () => {
  it('keeps every copy of a recipe in the same fold, whatever its id', () => {
    for (const seed of [1, 2, 3]) {
      for (let i = 0; i < 50; i += 1)
        assert.equal(groupFoldOf({ ...beer(i), ebc: 200, ph: null }, 5, seed), groupFoldOf(beer(i), 5, seed));
    }
  });

  it('keeps a group in its fold as rows are added (the fold depends on the group and the seed only)', () => {
    const before = table.map((row) => groupFoldOf(row, 5, 1));
    const grown = [...Array.from({ length: 200 }, (_, i) => beer(1000 + i)), ...table];
    const after = grown.slice(200).map((row) => groupFoldOf(row, 5, 1));
    assert.deepEqual(after, before);
  });

  it('spreads groups over every fold, and differently for another seed', () => {
    const counts = [0, 0, 0, 0, 0];
    for (const row of table) counts[groupFoldOf(row, 5, 1)] = (counts[groupFoldOf(row, 5, 1)] as number) + 1;
    for (const n of counts) assert.ok(n > 35 && n < 85, `fold sizes ${counts}`);
    const seed1 = table.map((row) => groupFoldOf(row, 5, 1));
    const seed2 = table.map((row) => groupFoldOf(row, 5, 2));
    assert.ok(seed1.filter((f, i) => f !== seed2[i]).length > 150);
  });

  it('tests a row in its own fold only, and validates on whole groups too', () => {
    for (const row of table) {
      const fold = groupFoldOf(row, 5, 1);
      for (let k = 0; k < 5; k += 1) {
        const split = groupedSplitOf(row, k, 5, 1);
        assert.equal(split === 'test', k === fold);
        // A copy lands where the original does.
        assert.equal(groupedSplitOf({ ...row }, k, 5, 1), split);
      }
    }
    // A quarter of the untested groups, as in production (20 of the other 80 buckets).
    const validation = table.filter((row) => groupedSplitOf(row, 0, 5, 1) === 'validation').length;
    assert.ok(validation > 40 && validation < 80, `${validation} validation rows`);
  });

  it("splits a fold's training groups again for the choice of configuration, copies together", () => {
    const rest = table.filter((row) => groupedSplitOf(row, 0, 5, 1) !== 'test');
    const inner = rest.map((row) => innerSplitOf(row, 5, 1));
    const innerTest = inner.filter((s) => s === 'test').length;
    assert.ok(innerTest > 25 && innerTest < 75, `${innerTest} inner test rows of ${rest.length}`);
    rest.forEach((row, i) => {
      assert.equal(innerSplitOf({ ...row, ebc: 300, ph: null }, 5, 1), inner[i]);
    });
    // Its test groups are not the outer folds over again.
    const outerFold = rest.map((row) => groupFoldOf(row, 5, 1));
    assert.ok(new Set(outerFold.filter((_, i) => inner[i] === 'test')).size > 1);
  });
});
