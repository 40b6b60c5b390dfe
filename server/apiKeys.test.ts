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
