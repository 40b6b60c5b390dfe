import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CleanedRow } from '../lib/beer.js';
import { seededRandom, shuffled } from './rng.js';
import { trainingSampler } from './sample.js';

const NOW = new Date();
const daysAgo = (days: number, key = 'k') => {
  const at = new Date(NOW.getTime() - days * 86_400_000);
  return `${at.toISOString().slice(0, 10)} ${at.toISOString()} ${key}`;
};

/** A beer of recipe `recipe` (its abv is the recipe), with a plausible IBU. */
const beer = (id: number, recipe: number, ibu: number | null = 40): CleanedRow => ({
  id,
  name: `beer ${id}`,
  abv: 3 + recipe / 1000,
  ibu,
  target_fg: 1010,
  target_og: 1050,
  ebc: 20,
  srm: 10,
  ph: 4.4,
});

const options = { halfLifeDays: 30, seed: 42, now: NOW };

describe('trainingSampler', () => {
  it('keeps a table at or under the cap whole, in its order, copies and IBU-less rows included', () => {
    const rows = [beer(1, 1), beer(2, 1), beer(3, 2, null), beer(4, 3)];
    const sampler = trainingSampler({ ...options, maxRows: 4 });
    for (const row of rows) sampler.add(row, daysAgo(1));
    assert.deepEqual(sampler.result(), { rows, tableRows: 4, sampled: false, groups: null, excluded: 0 });
  });

  it('over the cap, draws one row per recipe group, the latest to arrive, and no more groups than the cap', () => {
    const sampler = trainingSampler({ ...options, maxRows: 3 });
    // Recipes 1 and 2 arrive three times each; the copy 1 day old is the latest.
    sampler.add(beer(10, 1), daysAgo(5));
    sampler.add(beer(11, 1), daysAgo(1));
    sampler.add(beer(12, 1), daysAgo(3));
    sampler.add(beer(20, 2), daysAgo(2));
    sampler.add(beer(21, 2), daysAgo(9));
    sampler.add(beer(30, 3), daysAgo(4));
    const result = sampler.result();
    assert.equal(result.sampled, true);
    assert.equal(result.tableRows, 6);
    assert.equal(result.groups, 3);
    assert.deepEqual(
      result.rows.map((r) => r.id),
      [11, 20, 30],
    );
  });

  it('leaves out rows without an IBU and counts untrustworthy IBUs (equal to the OG) as excluded', () => {
    const sampler = trainingSampler({ ...options, maxRows: 2 });
    sampler.add(beer(1, 1, null), daysAgo(1));
    sampler.add({ ...beer(2, 2), ibu: 1050 }, daysAgo(1));
    sampler.add(beer(3, 3), daysAgo(1));
    sampler.add(beer(4, 4), daysAgo(1));
    const result = sampler.result();
    assert.deepEqual(
      result.rows.map((r) => r.id),
      [3, 4],
    );
    assert.equal(result.excluded, 1);
  });

  it('draws the same set whatever order the rows stream in, pruning many times on the way', () => {
    const random = seededRandom(3);
    const rows = Array.from({ length: 5000 }, (_, i) => ({
      row: beer(i + 1, i % 1700),
      arrival: daysAgo(Math.floor(random() * 400), `k${i}`),
    }));
    const draw = (order: number[]) => {
      const sampler = trainingSampler({ ...options, maxRows: 50 });
      for (const i of order) {
        const { row, arrival } = rows[i] as (typeof rows)[number];
        sampler.add(row, arrival);
      }
      return sampler.result();
    };
    const inOrder = draw(rows.map((_, i) => i));
    assert.equal(inOrder.rows.length, 50);
    assert.equal(inOrder.groups, null, '1,700 groups, over the cap: not counted');
    const ids = inOrder.rows.map((r) => r.id);
    assert.equal(new Set(inOrder.rows.map((r) => r.abv)).size, 50, 'one row per group');
    for (const seed of [1, 2]) {
      assert.deepEqual(
        draw(shuffled(rows.length, seededRandom(seed))).rows.map((r) => r.id),
        ids,
      );
    }
    // Each drawn row is the latest copy of its recipe.
    for (const drawn of inOrder.rows) {
      const copies = rows.filter((r) => r.row.abv === drawn.abv);
      const latest = copies.reduce((a, b) => (b.arrival > a.arrival ? b : a));
      assert.equal(drawn.id, latest.row.id);
    }
  });

  it('favours recent recipes: at a 30-day half-life, groups of today outnumber groups 60 days old about 4 to 1', () => {
    const sampler = trainingSampler({ ...options, maxRows: 200 });
    for (let g = 0; g < 2000; g += 1) sampler.add(beer(g + 1, g), daysAgo(g % 2 === 0 ? 0 : 60));
    const { rows } = sampler.result();
    const recent = rows.filter((r) => (r.id - 1) % 2 === 0).length;
    assert.equal(rows.length, 200);
    // Drawing 10% without replacement with weights 1 and 1/4: close to 4:1, far from 1:1.
    assert.ok(recent > 140 && recent < 185, `recent groups drawn: ${recent} of 200`);
  });

  it('refuses a cap below one row', () => {
    assert.throws(() => trainingSampler({ ...options, maxRows: 0 }), /maxRows/);
  });
});
