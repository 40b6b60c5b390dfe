// Keys and limits as an attacker would try them, against real listeners: malformed cookies and
// basic auth, made-up keys that try to buy their own rate bucket, X-Forwarded-For through a
// trusted hop count or not, and a key in the query string that must never reach a log line.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AppOptions } from '../../server/app.js';
import { startServer, type TestServer } from '../support/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { sleep, until } from '../support/wait.js';

const KEY = 'keys-test-key-0123';
const KEY2 = 'keys-test-key-second';
let stack: TestStack;
const servers: TestServer[] = [];

/** A server on its own listener, with the stack's config plus `env`. */
async function serve(env: Record<string, string>, extraRoutes?: AppOptions['extraRoutes']) {
  const server = await startServer({
    stack,
    env: { API_KEYS: `${KEY},${KEY2}`, ...env },
    capture: true,
    extraRoutes,
  });
  servers.push(server);
  return { base: server.url, lines: server.lines };
}

async function call(url: string, init: RequestInit = {}) {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

before(async () => {
  stack = await startTestStack({ stream: false });
});

after(async () => {
  for (const server of servers) await server.close();
  await stack?.close();
});

describe('malformed credentials are a 4xx or ignored, never a 500', () => {
  let base: string;
  before(async () => {
    ({ base } = await serve({}));
  });

  test('a cookie with broken percent-encoding, on every kind of route', async () => {
    for (const cookie of [
      'brewstream_session=%',
      'brewstream_session=%E0%A4%A',
      'brewstream_session=%zz; other=%',
    ]) {
      const headers = { cookie };
      const models = await call(`${base}/models`, { headers });
      assert.equal(models.status, 200, `${cookie} /models: ${models.text}`);
      const predict = await call(`${base}/predict`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ abv: 5, target_og: 1050 }),
      });
      // No model is published in this file: 503 not_ready is the answer, with or without the cookie.
      assert.equal(predict.status, 503, `${cookie} /predict: ${predict.text}`);
      assert.equal(JSON.parse(predict.text).error, 'not_ready');
      for (const path of ['/retrain/1', '/admin/queues/api/queues']) {
        const guarded = await call(`${base}${path}`, { headers });
        assert.ok(
          [401, 403].includes(guarded.status),
          `${cookie} ${path}: ${guarded.status} ${guarded.text}`,
        );
        assert.equal(typeof JSON.parse(guarded.text).message, 'string');
      }
    }
  });

  test('malformed basic auth is no key: 401 on a guarded route, ignored elsewhere', async () => {
    for (const authorization of [
      'Basic',
      'Basic %%%',
      'Basic bm9jb2xvbg==',
      'Basic =',
      'Bearer x',
      'Basic a b',
    ]) {
      const guarded = await call(`${base}/retrain/1`, { headers: { authorization } });
      assert.equal(guarded.status, 401, `${authorization}: ${guarded.text}`);
      assert.equal(JSON.parse(guarded.text).error, 'unauthorized');
      assert.equal((await call(`${base}/models`, { headers: { authorization } })).status, 200);
    }
    // A well-formed basic auth with the key as the password still opens a guarded route.
    const basic = `Basic ${Buffer.from(`ops:${KEY}`).toString('base64')}`;
    assert.equal((await call(`${base}/retrain/999999`, { headers: { authorization: basic } })).status, 404);
  });
});

describe('the rate limit', () => {
  test('made-up keys count against the address; a valid key has its own bucket', async () => {
    const { base } = await serve({ RATE_LIMIT_PER_MINUTE: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      statuses.push((await call(`${base}/models`, { headers: { 'x-api-key': `made-up-${i}` } })).status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
    // The same address with no key is out too.
    assert.equal((await call(`${base}/models`)).status, 429);
    // A valid key is its own client, however the address stands, and each key has its own bucket.
    for (const key of [KEY, KEY2]) {
      for (let i = 0; i < 3; i += 1) {
        assert.equal((await call(`${base}/models`, { headers: { 'x-api-key': key } })).status, 200);
      }
      assert.equal((await call(`${base}/models`, { headers: { 'x-api-key': key } })).status, 429);
    }
    const limited = await call(`${base}/models`);
    assert.deepEqual(Object.keys(JSON.parse(limited.text)).sort(), ['error', 'message']);
  });

  test('X-Forwarded-For chooses the bucket only through a trusted hop (TRUST_PROXY)', async () => {
    const forwarded = (value: string) => ({ headers: { 'x-forwarded-for': value } });
    // Not trusted (default): every forwarded address is the one peer, 127.0.0.1.
    const direct = await serve({ RATE_LIMIT_PER_MINUTE: '2' });
    assert.equal((await call(`${direct.base}/models`, forwarded('10.0.0.1'))).status, 200);
    assert.equal((await call(`${direct.base}/models`, forwarded('10.0.0.2'))).status, 200);
    assert.equal((await call(`${direct.base}/models`, forwarded('10.0.0.3'))).status, 429);

    // One trusted hop (the ALB): the address the ALB saw, the last entry, is the client.
    const proxied = await serve({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '1' });
    for (const client of ['10.0.0.1', '10.0.0.2']) {
      for (let i = 0; i < 2; i += 1) {
        assert.equal((await call(`${proxied.base}/models`, forwarded(client))).status, 200, client);
      }
      assert.equal((await call(`${proxied.base}/models`, forwarded(client))).status, 429, client);
    }
    // A client that writes its own X-Forwarded-For entry cannot pick a fresh bucket: the ALB
    // appends the real address, and that one counts.
    assert.equal((await call(`${proxied.base}/models`, forwarded('6.6.6.6, 10.0.0.1'))).status, 429);
    assert.equal((await call(`${proxied.base}/models`, forwarded('10.0.0.3'))).status, 200);
  });
});

describe('secrets in query strings never reach a log line', () => {
  test('api_key and other secret parameters are redacted; the dashboard redirect still works', async () => {
    // A route that logs its request the way Fastify's own error paths do ({req}).
    const { base, lines } = await serve({ LOG_LEVEL: 'debug' }, (app) => {
      app.get('/probe', async (request) => {
        request.log.warn({ req: request }, 'probe');
        return {};
      });
    });
    const secret = 'query-secret-0987';
    const once = await call(`${base}/admin/queues?api_key=${KEY}&page=2`);
    assert.equal(once.status, 303);
    assert.equal(once.headers.get('location'), '/admin/queues?page=2');
    const cookie = once.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^brewstream_session=/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    assert.match(cookie, /Path=\/admin\/queues/);
    // The dashboard's API answers 503 until the server's Redis connection is up (docs/design.md
    // "Dependencies down"); a server that has only just started may not be there yet.
    await until(
      'redis up in /ready',
      async () => JSON.parse((await call(`${base}/ready`)).text).redis === 'up',
      10_000,
    );
    assert.equal(
      (await call(`${base}/admin/queues/api/queues`, { headers: { cookie: cookie.split(';')[0] as string } }))
        .status,
      200,
    );
    await call(`${base}/admin/queues?api_key=${secret}`); // a wrong key: 403
    await call(`${base}/table?limit=2&api_key=${secret}`); // a 400 (unknown field)
    await call(`${base}/models?token=${secret}&password=${secret}`);
    await call(`${base}/no/such/route?api_key=${secret}`);
    await call(`${base}/models?API_KEY=${secret}&api%5Fkey=${secret}`);
    await call(`${base}/models?api_key=${encodeURIComponent(`${secret}%`)}`);
    await call(`${base}/probe?api_key=${secret}`, {
      headers: { 'x-api-key': KEY, cookie: `brewstream_session=${KEY}` },
    });
    await sleep(100);
    const requestLines = lines.filter((line) => line.msg === 'request');
    assert.ok(requestLines.length >= 8, `${requestLines.length} request lines`);
    const logged = JSON.stringify(lines);
    assert.ok(!logged.includes(secret), 'a secret query value reached the log');
    assert.ok(!logged.includes(KEY), 'the API key reached the log');
    const urls = requestLines.map((line) => line.url);
    assert.ok(urls.includes('/admin/queues?api_key=[redacted]&page=2'), JSON.stringify(urls));
    assert.ok(urls.includes('/table?limit=2&api_key=[redacted]'), JSON.stringify(urls));
    const probe = lines.find((line) => line.msg === 'probe');
    assert.deepEqual(probe?.req, { method: 'GET', url: '/probe?api_key=[redacted]' });
  });
});
