import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import beers from 'punkapi-db' with { type: 'json' };
import { type CleanedRow, cleanBeer } from '../lib/beer.js';
import { buildDataset } from './dataset.js';
import { recipeGroup, type Split } from './split.js';

const beer = (og: number) => ({ abv: 9, target_og: og, target_fg: 1008, ebc: 15, srm: null, ph: 4.4 });

const bundled: CleanedRow[] = (beers as unknown[]).flatMap((b) => {
  const result = cleanBeer(b);
  return result.ok ? [result.row] : [];
});
const names = new Map((beers as Array<{ id: number; name: string }>).map((b) => [b.id, b.name]));

describe('recipeGroup', () => {
  it('joins beers with the same ABV, OG and FG whatever their colour, pH or missing values', () => {
    const b = beer(1035);
    assert.equal(recipeGroup({ ...b, ebc: 120, srm: 60, ph: null }), recipeGroup(b));
    // A swapped FG/OG pair is the same recipe as the fixed one.
    assert.equal(recipeGroup({ ...b, target_og: b.target_fg, target_fg: b.target_og }), recipeGroup(b));
    assert.notEqual(recipeGroup(beer(1036)), recipeGroup(b));
    assert.notEqual(recipeGroup({ ...b, abv: 9.1 }), recipeGroup(b));
    assert.notEqual(recipeGroup({ ...b, target_fg: 1009 }), recipeGroup(b));
    // A missing value is not a zero.
    assert.notEqual(recipeGroup({ ...b, abv: null }), recipeGroup({ ...b, abv: 0 }));
  });

  it('keeps the Hammer series (five colours of one 7.2% / 1065 / 1010 beer) in one group', () => {
    const hammers = bundled.filter((row) => /Hammer$/.test(names.get(row.id) ?? ''));
    assert.equal(hammers.length, 5);
    assert.ok(new Set(hammers.map((r) => r.ebc)).size > 1, 'they differ in colour');
    assert.equal(new Set(hammers.map(recipeGroup)).size, 1);
  });
});

describe('production split by recipe group', () => {
  // What the test compares against is written out here, not taken from recipeGroup: same ABV, OG
  // and FG, with a swapped OG/FG pair put back.
  const sameRecipe = (row: CleanedRow) => {
    const [og, fg] =
      row.target_og !== null && row.target_fg !== null && row.target_fg > row.target_og
        ? [row.target_fg, row.target_og]
        : [row.target_og, row.target_fg];
    return `${row.abv}/${og}/${fg}`;
  };
  const splitsOf = (data: ReturnType<typeof buildDataset>) => {
    const where = new Map<number, Split>();
    for (const split of ['train', 'validation', 'test'] as const)
      for (const row of data[split].rows) where.set(row.id, split);
    return where;
  };

  it('puts no recipe of the bundled beers in two of train, validation and test', () => {
    const data = buildDataset(bundled);
    const where = splitsOf(data);
    const byRecipe = new Map<string, Set<Split>>();
    for (const row of bundled) {
      const split = where.get(row.id);
      if (split === undefined) continue; // no trustworthy IBU
      const key = sameRecipe(row);
      byRecipe.set(key, (byRecipe.get(key) ?? new Set()).add(split));
    }
    for (const [key, splits] of byRecipe) assert.equal(splits.size, 1, `recipe ${key} is in ${[...splits]}`);
    // Groups of several beers exist, so the check above has something to hold.
    const counts = new Map<string, number>();
    for (const row of bundled) counts.set(sameRecipe(row), (counts.get(sameRecipe(row)) ?? 0) + 1);
    assert.ok([...counts.values()].filter((n) => n > 1).length >= 5);
    const scored = where.size;
    for (const [split, low, high] of [
      ['test', 0.12, 0.3],
      ['validation', 0.12, 0.3],
    ] as const) {
      const share = data[split].rows.length / scored;
      assert.ok(share > low && share < high, `${split} share ${share}`);
    }
  });

  it('never moves a group when rows are added, and keeps new copies of a recipe with it', () => {
    const before = splitsOf(buildDataset(bundled));
    const maxId = Math.max(...bundled.map((r) => r.id));
    // New rows: copies of a bundled recipe under a new id, colour and pH, or new recipes.
    const newRow = fc.record({
      copyOf: fc.option(fc.integer({ min: 0, max: bundled.length - 1 }), { nil: undefined }),
      abv: fc.double({ min: 2, max: 15, noNaN: true }),
      og: fc.integer({ min: 1020, max: 1120 }),
      fg: fc.integer({ min: 1000, max: 1030 }),
      ebc: fc.option(fc.integer({ min: 2, max: 300 }), { nil: null }),
      ph: fc.option(fc.double({ min: 3, max: 5, noNaN: true }), { nil: null }),
      ibu: fc.integer({ min: 5, max: 200 }),
    });
    fc.assert(
      fc.property(fc.array(newRow, { minLength: 1, maxLength: 200 }), (added) => {
        const extra = added.map((a, i): CleanedRow => {
          const base = bundled[a.copyOf ?? 0] as CleanedRow;
          const recipe =
            a.copyOf === undefined
              ? { abv: a.abv, target_og: a.og, target_fg: a.fg }
              : { abv: base.abv, target_og: base.target_og, target_fg: base.target_fg };
          return { ...base, ...recipe, id: maxId + 1 + i, ebc: a.ebc, srm: null, ph: a.ph, ibu: a.ibu };
        });
        const grown = buildDataset([...extra, ...bundled]);
        const after = splitsOf(grown);
        for (const [id, split] of before) assert.equal(after.get(id), split, `beer ${id} moved`);
        const recipeSplit = new Map<string, Split>();
        for (const row of [...grown.train.rows, ...grown.validation.rows, ...grown.test.rows]) {
          const key = sameRecipe(row);
          const split = after.get(row.id) as Split;
          assert.equal(recipeSplit.get(key) ?? split, split, `recipe ${key} in two splits`);
          recipeSplit.set(key, split);
        }
      }),
      { numRuns: 40 },
    );
  });
});
