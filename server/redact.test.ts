import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl, requestForLog } from './redact.js';

test('secret query values are replaced, everything else is kept as sent', () => {
  const cases: Array<[string, string]> = [
    ['/predict', '/predict'],
    ['/table?offset=1&limit=2', '/table?offset=1&limit=2'],
    ['/admin/queues?api_key=abc&page=2', '/admin/queues?api_key=[redacted]&page=2'],
    ['/x?API_KEY=abc', '/x?API_KEY=[redacted]'],
    ['/x?api%5Fkey=abc', '/x?api%5Fkey=[redacted]'],
    [
      '/x?token=a&access_token=b&password=c&client_secret=d',
      '/x?token=[redacted]&access_token=[redacted]&password=[redacted]&client_secret=[redacted]',
    ],
    ['/x?apikey', '/x?apikey=[redacted]'],
    ['/x?api_key=a=b=c&q=%zz', '/x?api_key=[redacted]&q=%zz'],
    ['/x?%zzkey=abc', '/x?%zzkey=[redacted]'],
    ['/x?', '/x?'],
    ['/x?&&api_key=', '/x?&&api_key=[redacted]'],
  ];
  for (const [url, want] of cases) assert.equal(redactUrl(url), want, url);
});

test('a request is logged as its method and redacted URL, nothing else', () => {
  assert.deepEqual(requestForLog({ method: 'GET', url: '/admin/queues?api_key=abc' }), {
    method: 'GET',
    url: '/admin/queues?api_key=[redacted]',
  });
});
