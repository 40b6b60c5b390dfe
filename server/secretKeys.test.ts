import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keysInSecret, MIN_KEY_LENGTH, mayReadOnUnknownKey } from './secretKeys.js';

const KEY_A = 'a'.repeat(MIN_KEY_LENGTH);
const KEY_B = 'B0123456789-_.~!';

describe('keysInSecret', () => {
  it('reads comma-separated keys, trimmed, blank entries ignored', () => {
    assert.deepEqual(keysInSecret(`${KEY_A},${KEY_B}`), { keys: [KEY_A, KEY_B] });
    assert.deepEqual(keysInSecret(` ${KEY_A} ,\n${KEY_B},\n`), { keys: [KEY_A, KEY_B] });
    assert.deepEqual(keysInSecret(`${KEY_A},,`), { keys: [KEY_A] });
  });

  it('refuses what is not a list of keys, naming the problem without quoting a key', () => {
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /no SecretString/],
      ['', /no keys/],
      [' , ,', /no keys/],
      [`{"keys":["${KEY_A}"]}`, /JSON document/],
      [`["${KEY_A}"]`, /JSON document/],
      [`${KEY_A},short`, /key 2 has 5 characters, fewer than 16/],
      [`${KEY_A} ${KEY_B}`, /key 1 has a space/],
      [`${KEY_A},${KEY_B}\u00e9`, /key 2 has .*beyond ASCII/],
      [`${KEY_A}\u0000`, /key 1 has .*control character/],
    ];
    for (const [value, problem] of cases) {
      const read = keysInSecret(value);
      assert.ok('problem' in read, `${JSON.stringify(value)} was accepted`);
      assert.match(read.problem, problem);
      assert.ok(!read.problem.includes(KEY_A) && !read.problem.includes(KEY_B), read.problem);
    }
  });
});

describe('mayReadOnUnknownKey', () => {
  it('allows one read per interval: the first at once, the next only an interval after the last', () => {
    assert.equal(mayReadOnUnknownKey(1_000, undefined, 300_000), true);
    assert.equal(mayReadOnUnknownKey(1_000, 1_000, 300_000), false);
    assert.equal(mayReadOnUnknownKey(300_999, 1_000, 300_000), false);
    assert.equal(mayReadOnUnknownKey(301_000, 1_000, 300_000), true);
  });
});
