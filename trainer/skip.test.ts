import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shouldSkip } from './skip.js';

describe('shouldSkip', () => {
  it('skips a table whose hash is the last trained one', () => {
    assert.equal(shouldSkip('abc', 'abc', false), true);
  });
  it('trains on a changed table, on the first training, and when forced', () => {
    assert.equal(shouldSkip('abc', 'abd', false), false);
    assert.equal(shouldSkip('abc', undefined, false), false);
    assert.equal(shouldSkip('abc', 'abc', true), false);
  });
});
