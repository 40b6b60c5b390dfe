import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recipeKey } from './split.js';

const beer = (og: number) => ({ abv: 9, target_og: og, target_fg: 1008, ebc: 15, srm: null, ph: 4.4 });

describe('recipeKey', () => {
  it('puts identical feature vectors (after the data fixes) in one group', () => {
    assert.equal(recipeKey(beer(1035)), recipeKey({ ...beer(1035) }));
    // A swapped FG/OG pair is the same recipe as the fixed one.
    const b = beer(1035);
    assert.equal(recipeKey({ ...b, target_og: b.target_fg, target_fg: b.target_og }), recipeKey(b));
    assert.notEqual(recipeKey(beer(1035)), recipeKey(beer(1036)));
    // A missing value is not a zero.
    assert.notEqual(recipeKey({ ...b, ph: null }), recipeKey({ ...b, ph: 0 }));
  });
});
