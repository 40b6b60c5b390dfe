import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiKeys } from './apiKeys.js';

test('matches any configured key exactly, whatever the lengths', () => {
  const keys = new ApiKeys(['alpha-key', 'b']);
  assert.equal(keys.configured, true);
  assert.equal(keys.matches('alpha-key'), true);
  assert.equal(keys.matches('b'), true);
  for (const wrong of ['', 'alpha', 'alpha-key ', 'B', 'x'.repeat(10_000)])
    assert.equal(keys.matches(wrong), false);
  assert.equal(new ApiKeys([]).configured, false);
  assert.equal(new ApiKeys([]).matches(''), false);
});

test('match names the key that matched by its SHA-256 digest, and nothing for a wrong key', () => {
  const keys = new ApiKeys(['alpha-key', 'b']);
  // The digests written out (sha256sum of each key), not computed with the code under test.
  assert.equal(keys.match('alpha-key'), '677509799af78b2efa2f2af71d0f906e0a0c50c048efd3b515625f788e92b99a');
  assert.equal(keys.match('b'), '3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d');
  assert.equal(keys.match('c'), undefined);
  assert.equal(keys.match(''), undefined);
  assert.equal(new ApiKeys([]).match('b'), undefined);
});
