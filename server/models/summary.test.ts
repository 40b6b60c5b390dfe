import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageOfVersions } from './summary.js';

const names = ['a1', 'a2', 'a3', 'a4', 'a5'];

test('pages run newest first, each cursor the oldest of its page, until the oldest version', () => {
  assert.deepEqual(pageOfVersions(names, 2), { versions: ['a5', 'a4'], next: 'a4' });
  assert.deepEqual(pageOfVersions(names, 2, 'a4'), { versions: ['a3', 'a2'], next: 'a2' });
  assert.deepEqual(pageOfVersions(names, 2, 'a2'), { versions: ['a1'], next: null });
});

test('a page that ends exactly at the oldest version has no next cursor', () => {
  assert.deepEqual(pageOfVersions(names, 5), { versions: ['a5', 'a4', 'a3', 'a2', 'a1'], next: null });
  assert.deepEqual(pageOfVersions(names, 2, 'a3'), { versions: ['a2', 'a1'], next: null });
});

test('a cursor that is no version starts below where it would sort; an empty registry is one empty page', () => {
  assert.deepEqual(pageOfVersions(names, 1, 'a35'), { versions: ['a3'], next: 'a3' });
  assert.deepEqual(pageOfVersions(names, 3, 'a0'), { versions: [], next: null });
  assert.deepEqual(pageOfVersions([], 3), { versions: [], next: null });
});
