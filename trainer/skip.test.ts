import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shouldSkip } from './skip.js';

describe('shouldSkip', () => {
  const now = { contentHash: 'abc', recipe: 2 };
  it('skips a table whose hash is the last trained one, with the same recipe', () => {
    assert.equal(shouldSkip(now, { contentHash: 'abc', recipe: 2 }, false), true);
  });
  it('trains on a changed table, on the first training, and when forced', () => {
    assert.equal(shouldSkip(now, { contentHash: 'abd', recipe: 2 }, false), false);
    assert.equal(shouldSkip(now, undefined, false), false);
    assert.equal(shouldSkip(now, { contentHash: 'abc', recipe: 2 }, true), false);
  });
  it('trains once on unchanged data when the recipe changed (a record without one is recipe 1)', () => {
    assert.equal(shouldSkip(now, { contentHash: 'abc' }, false), false);
    assert.equal(shouldSkip(now, { contentHash: 'abc', recipe: 1 }, false), false);
    assert.equal(shouldSkip({ contentHash: 'abc', recipe: 1 }, { contentHash: 'abc' }, false), true);
  });
});
