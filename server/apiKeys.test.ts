import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedKeys, KeySet } from './apiKeys.js';

test('matches any key of the set exactly, whatever the lengths', () => {
  const keys = new KeySet(['alpha-key', 'b']);
  assert.equal(keys.size, 2);
  assert.notEqual(keys.match('alpha-key'), undefined);
  assert.notEqual(keys.match('b'), undefined);
  for (const wrong of ['', 'alpha', 'alpha-key ', 'B', 'x'.repeat(10_000)])
    assert.equal(keys.match(wrong), undefined);
  assert.equal(new KeySet([]).size, 0);
  assert.equal(new KeySet([]).match(''), undefined);
});

test('match names the key that matched by its SHA-256 digest, and nothing for a wrong key', () => {
  const keys = new KeySet(['alpha-key', 'b']);
  // The digests written out (sha256sum of each key), not computed with the code under test.
  const alpha = '677509799af78b2efa2f2af71d0f906e0a0c50c048efd3b515625f788e92b99a';
  const b = '3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d';
  assert.equal(keys.match('alpha-key'), alpha);
  assert.equal(keys.match('b'), b);
  assert.equal(keys.match('c'), undefined);
  assert.deepEqual(keys.hexDigests(), [alpha, b]);
});

test('fixed keys: required only when some are given; an unknown key stays unknown', async () => {
  const keys = fixedKeys(['alpha-key']);
  assert.equal(keys.required, true);
  assert.equal(await keys.resolve('alpha-key'), keys.current().match('alpha-key'));
  assert.equal(await keys.resolve('other'), undefined);
  assert.equal(fixedKeys([]).required, false);
});
