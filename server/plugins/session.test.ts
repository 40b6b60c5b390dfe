import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeySet } from '../apiKeys.js';
import { loginRedirect, sessionKey, sessionValue } from './session.js';

describe('loginRedirect', () => {
  const prefix = '/admin/queues';

  it('drops api_key and keeps the rest of the URL', () => {
    assert.equal(loginRedirect('/admin/queues?api_key=K', prefix), '/admin/queues');
    assert.equal(loginRedirect('/admin/queues?api_key=K&page=2', prefix), '/admin/queues?page=2');
    assert.equal(
      loginRedirect('/admin/queues/queue/retrain?status=failed&api_key=K', prefix),
      '/admin/queues/queue/retrain?status=failed',
    );
  });

  it('never leaves the prefix: dot segments, doubled slashes and backslashes land under it', () => {
    const escapes = [
      '/admin/queues/../..//evil.example/x?api_key=K',
      '/admin/queues/../../evil.example?api_key=K',
      '/admin/queues/%2e%2e/%2e%2e//evil.example?api_key=K',
      '/admin/queues/..\\..\\\\evil.example?api_key=K',
      '//evil.example/admin/queues?api_key=K',
      '/admin/queuesX?api_key=K',
      '/admin/queues/./../queues-other?api_key=K',
    ];
    for (const url of escapes) {
      const target = loginRedirect(url, prefix);
      assert.ok(
        target === prefix || target.startsWith(`${prefix}/`) || target.startsWith(`${prefix}?`),
        `${url} → ${target}`,
      );
      assert.ok(!target.startsWith('//'), `${url} → ${target}`);
    }
    assert.equal(loginRedirect('/admin/queues/../../evil.example?api_key=K', prefix), '/admin/queues');
  });
});

describe('session values', () => {
  const secret = 'a-session-secret-of-32-characters!';
  const keys = new KeySet(['first-key-0123456789', 'second-key-0123456789']);
  const [first, second] = keys.hexDigests() as [string, string];
  const now = 1_700_000_000_000;

  it('hold the expiry and a tag of the key, never the key or its digest', () => {
    const value = sessionValue(secret, first, now / 1000 + 60);
    assert.match(value, /^1700000060\.[A-Za-z0-9_-]{22}$/);
    assert.ok(!value.includes('first-key') && !value.includes(first.slice(0, 16)));
  });

  it('name the key they were opened with, until they expire or the key is gone', () => {
    const value = sessionValue(secret, second, now / 1000 + 60);
    assert.equal(sessionKey(secret, value, keys, now), second);
    assert.equal(sessionKey(secret, value, keys, now + 59_999), second);
    assert.equal(sessionKey(secret, value, keys, now + 60_000), undefined);
    assert.equal(sessionKey(secret, value, new KeySet(['first-key-0123456789']), now), undefined);
    // Another secret (another deployment) does not know it.
    assert.equal(sessionKey('another-secret-of-32-characters!!', value, keys, now), undefined);
  });

  it('refuse anything malformed', () => {
    for (const value of [
      '',
      '1700000060',
      '1700000060.',
      'x.AAAAAAAAAAAAAAAAAAAAAA',
      '1700000060.AAAA',
      `-1.${'A'.repeat(22)}`,
    ])
      assert.equal(sessionKey(secret, value, keys, now), undefined, value);
  });
});
