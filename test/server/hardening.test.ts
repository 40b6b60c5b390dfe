// What a probe of the server as an attacker found (issue 24), tried again the way the probe did it:
// real listeners, real requests, raw sockets where a client library would tidy the request up.
// Wrong keys are rate-limited wherever they are tried; a slow body is cut; the dashboard's session
// cookie is not the key and opens nothing but the dashboard; the pages carry security headers; a
// cross-origin POST is refused; /retrain/:id reads nothing but retrain jobs; the dashboard login's
// redirect stays under /admin/queues/; the router's own errors come out in our shape, logged.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import fastifyCookie from '@fastify/cookie';
import { createRedis } from '../../lib/redis.js';
import { SESSION_COOKIE, sessionValue } from '../../server/plugins/session.js';
import { startServer, type TestServer } from '../support/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { until } from '../support/wait.js';

const KEY = 'hardening-key-0123456789';
const SECRET = 'hardening-session-secret-0123456789';
let stack: TestStack;
const servers: TestServer[] = [];

/** A server on its own listener over the file's stack, with the key and session secret plus `env`. */
async function serve(env: Record<string, string> = {}) {
  const server = await startServer({
    stack,
    env: { API_KEYS: KEY, SESSION_SECRET: SECRET, ...env },
    capture: true,
  });
  servers.push(server);
  const { app, url: base, lines } = server;
  return { app, base, port: Number(new URL(base).port), lines };
}

async function call(url: string, init: RequestInit = {}) {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, text, body, headers: response.headers };
}

/** A GET through node:http, which sends the path byte for byte (fetch would resolve `..`). */
function rawGet(port: number, path: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, location: response.headers.location }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

/** Opens a dashboard session with the key; the cookie as a request header sends it. */
async function login(base: string, headers: Record<string, string> = {}) {
  const answer = await call(`${base}/admin/queues?api_key=${KEY}`, { headers });
  assert.equal(answer.status, 303, answer.text);
  const setCookie = answer.headers.get('set-cookie') ?? '';
  return { setCookie, cookie: setCookie.split(';')[0] as string };
}

before(async () => {
  stack = await startTestStack({ stream: false });
});

after(async () => {
  for (const server of servers) await server.close();
  const redis = createRedis(stack.config.redisUrl);
  await stack.clearRedis(redis);
  redis.disconnect();
  await stack?.close();
});

describe('wrong keys are rate-limited wherever they are tried', () => {
  const LIMIT = 5;
  const forged = `${SESSION_COOKIE}=${encodeURIComponent(fastifyCookie.sign(`9999999999.${'A'.repeat(22)}`, 'not-the-secret'))}`;
  const tries: Array<[string, (base: string, i: number) => Promise<number>, number[]]> = [
    [
      'POST /retrain with made-up keys',
      async (base, i) =>
        (await call(`${base}/retrain`, { method: 'POST', headers: { 'x-api-key': `made-up-${i}` } })).status,
      [403],
    ],
    [
      'POST /retrain with no key',
      async (base) => (await call(`${base}/retrain`, { method: 'POST' })).status,
      [401],
    ],
    [
      'POST /predict with wrong keys (PREDICT_REQUIRES_KEY)',
      async (base, i) =>
        (
          await call(`${base}/predict`, {
            method: 'POST',
            headers: { 'x-api-key': `wrong-${i}`, 'content-type': 'application/json' },
            body: JSON.stringify({ abv: 5, target_og: 1050 }),
          })
        ).status,
      [403],
    ],
    [
      'the dashboard login with wrong keys',
      async (base, i) => (await call(`${base}/admin/queues?api_key=guess-${i}`)).status,
      [403],
    ],
    [
      'the dashboard with a forged session cookie',
      async (base) => (await call(`${base}/admin/queues`, { headers: { cookie: forged } })).status,
      [401],
    ],
    ['/docs', async (base) => (await call(`${base}/docs/json`)).status, [200]],
    ['an unknown route', async (base, i) => (await call(`${base}/wp-admin/${i}`)).status, [404]],
  ];

  for (const [what, attempt, before] of tries) {
    test(`${what}: ${LIMIT} answers, then 429`, async () => {
      const { base } = await serve({ RATE_LIMIT_PER_MINUTE: String(LIMIT), PREDICT_REQUIRES_KEY: 'true' });
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT + 3; i += 1) statuses.push(await attempt(base, i));
      assert.deepEqual(statuses, [...Array(LIMIT).fill(before[0]), 429, 429, 429]);
      // The checks of the load balancer and ECS are never limited.
      for (const path of ['/health', '/ready'])
        assert.notEqual((await call(`${base}${path}`)).status, 429, path);
      const limited = await call(`${base}/models`);
      assert.deepEqual([limited.status, limited.body.error], [429, 'rate_limited']);
    });
  }
});

describe('slow requests are cut', () => {
  /** Sends the head of a POST with Content-Length 1000, then `drip` (or nothing); when the socket closed. */
  function slowBody(port: number, dripEveryMs?: number): Promise<{ closedAfterMs: number; answer: string }> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      const started = Date.now();
      let answer = '';
      let drip: NodeJS.Timeout | undefined;
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ closedAfterMs: Date.now() - started, answer });
      });
      socket.write(
        'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      );
      if (dripEveryMs) drip = setInterval(() => socket.write(' '), dripEveryMs);
      // Whatever happens, the test ends: a socket still open after 30 s is a failure below.
      setTimeout(() => socket.destroy(), 30_000).unref();
    });
  }

  test('a body that stops, or comes a byte at a time, is cut at REQUEST_TIMEOUT_MS with a 408', async () => {
    const { port, lines } = await serve({ REQUEST_TIMEOUT_MS: '1000', CONNECTION_TIMEOUT_MS: '20000' });
    for (const drip of [undefined, 200]) {
      const { closedAfterMs, answer } = await slowBody(port, drip);
      const what = drip ? 'one byte every 200 ms' : '`{` then nothing';
      assert.ok(closedAfterMs >= 900, `${what}: closed after ${closedAfterMs} ms`);
      // Cut at 1 s, checked every 100 ms; the bound allows for a loaded machine, far below 20 s.
      assert.ok(closedAfterMs < 8000, `${what}: closed after ${closedAfterMs} ms`);
      assert.match(answer, /^HTTP\/1\.1 408 /, what);
      assert.deepEqual(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), {
        error: 'request_timeout',
        message: 'the request did not arrive in time (REQUEST_TIMEOUT_MS)',
      });
    }
    const logged = lines.filter((line) => line.msg === 'request' && line.status === 408);
    assert.equal(logged.length, 2, JSON.stringify(logged));
    assert.equal(logged[0]?.error, 'request_timeout');
  });

  test('a socket silent mid-request is closed at CONNECTION_TIMEOUT_MS; an idle kept-alive one is not', async () => {
    const { port } = await serve({ REQUEST_TIMEOUT_MS: '60000', CONNECTION_TIMEOUT_MS: '1000' });
    const { closedAfterMs } = await slowBody(port);
    assert.ok(closedAfterMs >= 900 && closedAfterMs < 8000, `closed after ${closedAfterMs} ms`);

    // Between requests a kept-alive socket waits keepAliveTimeout (72 s, above the ALB's 60 s
    // idle timeout), not the connection timeout: the ALB may reuse it.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; keepAlive: string | undefined; socket: net.Socket }>(
        (resolve, reject) => {
          const request = http.get({ host: '127.0.0.1', port, path: '/health', agent }, (response) => {
            response.resume();
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 0,
                keepAlive: String(response.headers['keep-alive']),
                socket: request.socket as net.Socket,
              }),
            );
          });
          request.on('error', reject);
        },
      );
    const first = await get();
    assert.equal(first.keepAlive, 'timeout=72');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(first.socket.destroyed, false, 'the idle kept-alive socket was closed');
    const second = await get();
    assert.equal(second.status, 200);
    assert.equal(second.socket, first.socket, 'the second request did not reuse the socket');
    agent.destroy();
  });
});

describe('the dashboard session is not the key', () => {
  let base: string;
  before(async () => {
    ({ base } = await serve({ PREDICT_REQUIRES_KEY: 'true' }));
  });

  test('the cookie holds neither the key nor its digest, is scoped to the dashboard, and expires', async () => {
    const answer = await call(`${base}/admin/queues?api_key=${KEY}&page=2`);
    assert.equal(answer.headers.get('location'), '/admin/queues?page=2');
    const setCookie = answer.headers.get('set-cookie') ?? '';
    const value = decodeURIComponent((setCookie.split(';')[0] as string).slice(`${SESSION_COOKIE}=`.length));
    const digest = createHash('sha256').update(KEY).digest();
    for (const secret of [
      KEY,
      digest.toString('hex'),
      digest.toString('base64'),
      digest.toString('base64url'),
    ])
      assert.ok(!value.includes(secret.slice(0, 12)), `the cookie gives the key away: ${value}`);
    assert.match(setCookie, /; Path=\/admin\/queues(;|$)/);
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.match(setCookie, /; Max-Age=28800/);
    assert.doesNotMatch(setCookie, /Secure/, 'Secure over plain HTTP: the browser would drop it');
  });

  test('the cookie opens the dashboard and nothing else', async () => {
    const { cookie } = await login(base);
    await until('Redis up', async () => (await call(`${base}/ready`)).body.redis === 'up');
    assert.equal((await call(`${base}/admin/queues`, { headers: { cookie } })).status, 200);
    assert.equal((await call(`${base}/admin/queues/api/queues`, { headers: { cookie } })).status, 200);
    const retrain = await call(`${base}/retrain`, { method: 'POST', headers: { cookie } });
    assert.deepEqual([retrain.status, retrain.body.error], [401, 'unauthorized']);
    assert.equal((await call(`${base}/retrain/1`, { headers: { cookie } })).status, 401);
    const predict = await call(`${base}/predict`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ abv: 5, target_og: 1050 }),
    });
    assert.equal(predict.status, 401);
    // The key itself as a cookie is nothing anywhere.
    const asCookie = { cookie: `${SESSION_COOKIE}=${KEY}; brewstream_key=${KEY}` };
    assert.equal((await call(`${base}/admin/queues`, { headers: asCookie })).status, 401);
    assert.equal((await call(`${base}/retrain`, { method: 'POST', headers: asCookie })).status, 401);
  });

  test('an expired or altered session is refused; another task with the same SESSION_SECRET accepts it', async () => {
    const digest = createHash('sha256').update(KEY).digest('hex');
    const now = Math.floor(Date.now() / 1000);
    const crafted = (secret: string, expiresAtS: number) =>
      `${SESSION_COOKIE}=${encodeURIComponent(fastifyCookie.sign(sessionValue(secret, digest, expiresAtS), secret))}`;
    const page = async (cookie: string, where = base) =>
      (await call(`${where}/admin/queues`, { headers: { cookie } })).status;
    assert.equal(await page(crafted(SECRET, now + 60)), 200, 'a session made as the server makes them');
    assert.equal(await page(crafted(SECRET, now - 1)), 401, 'an expired session');
    assert.equal(await page(crafted('another-secret-0123456789-0123456789', now + 60)), 401);
    const { cookie } = await login(base);
    const [name, signed] = cookie.split('=') as [string, string];
    const altered = decodeURIComponent(signed).replace(/^\d+/, String(now + 365 * 86_400));
    assert.equal(await page(`${name}=${encodeURIComponent(altered)}`), 401, 'an expiry moved by the client');

    const sameSecret = await serve();
    assert.equal(await page(cookie, sameSecret.base), 200, 'another task refused the session');
    const otherSecret = await serve({ SESSION_SECRET: 'a-different-secret-0123456789-0123' });
    assert.equal(await page(cookie, otherSecret.base), 401);
  });

  test('Secure whenever the request came over HTTPS, as the trusted load balancer says', async () => {
    const proxied = await serve({ TRUST_PROXY: '1' });
    assert.match((await login(proxied.base, { 'x-forwarded-proto': 'https' })).setCookie, /; Secure/);
    assert.doesNotMatch((await login(proxied.base, { 'x-forwarded-proto': 'http' })).setCookie, /Secure/);
    // Without a trusted proxy, a client's own X-Forwarded-Proto says nothing.
    assert.doesNotMatch((await login(base, { 'x-forwarded-proto': 'https' })).setCookie, /Secure/);
  });
});

describe('security headers', () => {
  test('the dashboard and Swagger UI pages, and the refusals, cannot be framed or sniffed', async () => {
    const { base } = await serve();
    const { cookie } = await login(base);
    const pages = [
      await call(`${base}/admin/queues`, { headers: { cookie } }),
      await call(`${base}/docs/`),
      await call(`${base}/docs/json`),
      await call(`${base}/admin/queues`),
    ];
    assert.deepEqual(
      pages.map((page) => page.status),
      [200, 200, 200, 401],
    );
    assert.match(pages[0]?.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(pages[1]?.headers.get('content-type') ?? '', /^text\/html/);
    for (const page of pages) {
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /(^|;)frame-ancestors 'none'(;|$)/, csp);
      assert.match(csp, /(^|;)script-src 'self'(;|$)/, csp);
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    }
  });
});

describe('cross-origin requests that change something', () => {
  test('are refused with a 403 naming the origin; same-origin and Origin-less ones pass', async () => {
    const { app, base } = await serve();
    await until('Redis up', async () => (await call(`${base}/ready`)).body.redis === 'up');
    const basic = `Basic ${Buffer.from(`ops:${KEY}`).toString('base64')}`;
    const retrain = (headers: Record<string, string>) =>
      call(`${base}/retrain`, { method: 'POST', headers: { authorization: basic, ...headers } });

    const evil = await retrain({ origin: 'https://evil.example' });
    assert.deepEqual([evil.status, evil.body.error, evil.body.field], [403, 'cross_origin', 'origin']);
    assert.match(String(evil.body.message), /origin "https:\/\/evil\.example" is refused/);
    assert.equal((await retrain({ origin: 'null' })).status, 403);
    assert.equal((await retrain({ origin: base.replace('127.0.0.1', 'localhost') })).status, 403);
    assert.equal((await app.retrainQueue.getJobCounts('waiting')).waiting, 0, 'a refused POST queued a job');

    // bull-board's own "add job", with the session cookie a browser would attach.
    const { cookie } = await login(base);
    const add = await call(`${base}/admin/queues/api/queues/retrain/add`, {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'retrain', data: {} }),
    });
    assert.equal(add.status, 403, add.text);
    assert.equal((await app.retrainQueue.getJobCounts('waiting')).waiting, 0, 'a refused add queued a job');

    assert.equal((await retrain({ origin: base })).status, 202, 'the page of the server itself');
    assert.equal((await retrain({})).status, 202, 'a script that sends no Origin');
    // Reading is not changing: a foreign page's GET is answered (and CORS keeps it from reading).
    assert.equal((await call(`${base}/models`, { headers: { origin: 'https://evil.example' } })).status, 200);
  });
});

describe('GET /retrain/:id reads retrain jobs only', () => {
  test("the queue's own keys, and a key of another type, are 404s, not a job and not a 503", async () => {
    const { app, base } = await serve();
    await until('Redis up', async () => (await call(`${base}/ready`)).body.redis === 'up');
    const headers = { 'x-api-key': KEY };
    const queued = await call(`${base}/retrain`, { method: 'POST', headers });
    assert.equal(queued.status, 202);
    // The queue now has its bookkeeping keys under the prefix (meta, events, id, wait...).
    const prefix = `${stack.config.queuePrefix}:retrain`;
    assert.ok((await app.redis.exists(`${prefix}:meta`, `${prefix}:events`)) >= 1);
    // A numeric id whose key holds a string: Redis answers WRONGTYPE to the job read.
    await app.redis.set(`${prefix}:987654321`, 'not a job');
    for (const id of [
      'meta',
      'events',
      'id',
      'wait',
      'marker',
      'repeat:retrain-schedule:1',
      '987654321',
      '0',
    ]) {
      const answer = await call(`${base}/retrain/${id}`, { headers });
      assert.deepEqual([answer.status, answer.body.error], [404, 'not_found'], `${id}: ${answer.text}`);
    }
    const job = await call(`${base}/retrain/${queued.body.id}`, { headers });
    assert.deepEqual([job.status, job.body.reason], [200, 'manual']);
  });
});

describe('the dashboard login redirect stays under /admin/queues/', () => {
  test('whatever dot segments, slashes or encodings the path holds', async () => {
    const { base, port } = await serve();
    // Under routes of the dashboard that take any path segment (its static files, a queue's page),
    // so each reaches the login; the paths resolve outside /admin/queues/ (`//evil.example/x`).
    const paths = [
      '/admin/queues/static/../../..//evil.example/x',
      '/admin/queues/static/%2e%2e/%2e%2e/%2e%2e//evil.example/',
      '/admin/queues/static/.%2e/.%2e/.%2e/%2f/evil.example',
      '/admin/queues/static/..%2F..%2F..%2F%2Fevil.example',
      '/admin/queues/queue/..',
      '/admin/queues/static/js/../../../..//evil.example',
    ];
    for (const path of paths) {
      const { status, location } = await rawGet(port, `${path}?api_key=${KEY}`);
      assert.equal(status, 303, path);
      assert.ok(location, `${path}: no location`);
      const target = new URL(location, base);
      assert.equal(target.origin, base, `${path} → ${location}`);
      assert.ok(/^\/admin\/queues(\/|$)/.test(target.pathname), `${path} → ${location}`);
      assert.ok(!location.startsWith('//'), `${path} → ${location}`);
    }
  });
});

describe("the router's own errors", () => {
  test('a path segment over 100 characters is a 414 and bad percent-encoding a 400, in our shape and logged', async () => {
    const { base, lines } = await serve();
    const long = `/models/${'x'.repeat(150)}`;
    const tooLong = await call(`${base}${long}`);
    assert.equal(tooLong.status, 414);
    assert.deepEqual(tooLong.body, {
      error: 'uri_too_long',
      message: 'a path segment is longer than 100 characters',
    });
    const broken = await call(`${base}/models/%E0%A4%A`);
    assert.deepEqual([broken.status, broken.body.error], [400, 'bad_request']);
    assert.deepEqual(Object.keys(broken.body).sort(), ['error', 'message']);
    await until('the request lines', async () => lines.filter((line) => line.msg === 'request').length >= 2);
    const logged = lines.filter((line) => line.msg === 'request').map((line) => [line.status, line.error]);
    assert.deepEqual(logged, [
      [414, 'uri_too_long'],
      [400, 'bad_request'],
    ]);
  });
});
