import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foreignOrigin } from './sameOrigin.js';

describe('foreignOrigin', () => {
  const own = 'https://brew.example';

  it('passes reads, requests without an Origin, and the server own origin', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS'])
      assert.equal(foreignOrigin(method, 'https://evil.example', own), undefined);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      assert.equal(foreignOrigin(method, undefined, own), undefined);
      assert.equal(foreignOrigin(method, 'https://brew.example', own), undefined);
      // Default ports are the same origin, spelled or not.
      assert.equal(foreignOrigin(method, 'https://brew.example:443', own), undefined);
    }
    assert.equal(foreignOrigin('POST', 'http://127.0.0.1:3000', 'http://127.0.0.1:3000'), undefined);
  });

  it('refuses any other origin on a state-changing request, naming it', () => {
    const foreign = [
      'https://evil.example',
      'http://brew.example', // another scheme
      'https://brew.example:8443', // another port
      'https://sub.brew.example', // a same-site sibling
      'null', // a sandboxed page
      'not a url',
      '',
    ];
    for (const origin of foreign) assert.equal(foreignOrigin('POST', origin, own), origin, origin);
    assert.equal(foreignOrigin('DELETE', 'https://evil.example', own), 'https://evil.example');
    assert.equal(foreignOrigin('BREW', 'https://evil.example', own), 'https://evil.example');
    // A server reached without a Host header has no origin of its own: nothing matches it.
    assert.equal(foreignOrigin('POST', 'http://brew.example', 'http://'), 'http://brew.example');
  });
});
