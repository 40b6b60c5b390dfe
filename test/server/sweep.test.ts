// The HTTP bad-input sweep: property-based (fast-check) requests at every route through a real
// listener, with arbitrary JSON and raw bodies, content types, query strings, headers (cookies,
// basic auth, x-api-key with odd bytes) and raw bytes on a socket (content-length that lies,
// broken framing, control characters). Whatever arrives: no 5xx, no crash, no stack trace in a
// body, and every 4xx carries {error, message} naming the problem.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { s3Client } from '../../lib/aws.js';
import { loadTf } from '../../lib/tfjs.js';
import { startServer, type TestServer } from '../support/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { publishModel, tinyModel } from './models.js';

const KEY = 'sweep-key-0123456789';
let stack: TestStack;
let server: TestServer;
let port: number;

before(async () => {
  // The champion is there before the server starts, which loads it at once.
  stack = await startTestStack({ stream: false });
  const { tf } = await loadTf('auto');
  const s3 = s3Client(stack.config);
  const model = tinyModel(tf, 5);
  await publishModel(s3, stack.config.buckets.models, model);
  model.dispose();
  s3.destroy();
  server = await startServer({
    stack,
    env: { API_KEYS: KEY, PREDICT_BATCH_MAX: '8', LOG_LEVEL: 'fatal' },
    readyWithinMs: 20_000,
  });
  port = Number(new URL(server.url).port);
});

after(async () => {
  await server?.close();
  await stack?.close();
});

interface Answer {
  status: number;
  text: string;
}

/** A stack frame, as Node prints one, or a serialised error's stack property. */
const STACK = /"stack"|\n\s+at [^\n]+:\d+:\d+/;

/** The one rule for any answer: under 500, no stack, and a 4xx says what was wrong. */
function checkAnswer(what: string, { status, text }: Answer, method = 'GET'): void {
  assert.ok(status >= 100 && status < 500, `${what}: ${status} ${text.slice(0, 300)}`);
  assert.ok(!STACK.test(text), `${what}: a stack trace in the body: ${text.slice(0, 300)}`);
  if (status >= 400 && method !== 'HEAD') {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      assert.fail(`${what}: ${status} without a JSON body: ${text.slice(0, 300)}`);
    }
    const { error, message } = body as { error?: unknown; message?: unknown };
    assert.equal(typeof error, 'string', `${what}: ${text}`);
    assert.equal(typeof message, 'string', `${what}: ${text}`);
    assert.ok((message as string).length > 0, `${what}: an empty message`);
  }
}

/** One request through node:http, which sends a path and latin1 header bytes as given. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A body always goes with its length (a GET's body would otherwise be read as the next
    // request), and every request has its own connection (a 400 for broken framing closes one).
    const sized =
      body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const request = http.request(
      { host: '127.0.0.1', port, method, path, headers: sized, timeout: 10_000, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** Raw bytes on a fresh socket; every response that comes back before the server closes it. */
function raw(bytes: string | Buffer): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const answers: Answer[] = [];
      const statusLine = /HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n/g;
      for (let match = statusLine.exec(text); match; match = statusLine.exec(text)) {
        const length = Number(/content-length: *(\d+)/i.exec(match[2] ?? '')?.[1] ?? 0);
        const start = match.index + match[0].length;
        answers.push({ status: Number(match[1]), text: text.slice(start, start + length) });
        statusLine.lastIndex = start + length;
      }
      resolve(answers);
    });
    socket.end(bytes);
  });
}

const VERSION = '20261124T012345678Z-a1b2c3';
const ROUTES: Array<[string, string]> = [
  ['POST', '/predict'],
  ['POST', '/predict/batch'],
  ['POST', '/retrain'],
  ['GET', '/retrain/1'],
  ['GET', '/retrain/meta'],
  ['GET', '/retrain/events'],
  ['GET', '/models'],
  ['GET', '/models/champion'],
  ['GET', `/models/${VERSION}`],
  ['GET', '/table'],
  ['GET', '/health'],
  ['GET', '/ready'],
  ['GET', '/admin/queues'],
  ['GET', '/admin/queues/api/queues'],
  ['GET', '/docs/json'],
  ['GET', '/no/such/route'],
];

const route = fc.constantFrom(...ROUTES);
const FIELDS = ['abv', 'target_og', 'target_fg', 'ebc', 'srm', 'ph', 'hops', '__proto__', 'constructor', ''];
const odd = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 5e-324, 1044, 4.5),
  fc.string(),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);
const beerLike = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), odd, { maxKeys: 8 });
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  beerLike,
  fc.record({ abv: fc.double(), target_og: fc.double() }),
  fc.record(
    { instances: fc.oneof(fc.array(beerLike, { maxLength: 12 }), odd), extra: odd },
    { requiredKeys: [] },
  ),
);
/** Bodies no serialiser would write: numbers out of range, deep nesting, broken or trailing JSON. */
const rawBody = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom(
    '1e400',
    '{"abv":1e400,"target_og":1050}',
    '{"abv":-0,"target_og":1050}',
    `{"abv":${'9'.repeat(500)},"target_og":1050}`,
    '['.repeat(200_000),
    `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`,
    `{"instances":[${Array(2000).fill('{"abv":5,"target_og":1050}').join(',')}]}`,
    '{',
    '{"abv":5,"target_og":1050',
    '{"abv":5,"target_og":1050}{}',
    '\ufeff{"abv":5,"target_og":1050}',
    '{"__proto__":{"abv":5},"abv":5,"target_og":1050}',
    '{"constructor":{"prototype":{"x":1}}}',
    '\u0000',
    '',
    'null',
  ),
);
const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'APPLICATION/JSON',
    'application/json;',
    'application/vnd.api+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    ';',
    '*/*',
  ),
  fc.stringMatching(/^[!-~]{0,40}$/),
);
/** Header values as a client may send them: any latin1 byte but control characters. */
const headerValue = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0xff })
    .filter((code) => code !== 0x7f)
    .map((code) => String.fromCharCode(code)),
  maxLength: 120,
});
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'latin1').toString('base64')}`;

describe('the HTTP bad-input sweep', () => {
  test('arbitrary JSON bodies on every route', async () => {
    await fc.assert(
      fc.asyncProperty(route, jsonBody, fc.boolean(), async ([method, path], body, withKey) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (withKey) headers['x-api-key'] = KEY;
        const answer = await send(method, path, headers, JSON.stringify(body));
        checkAnswer(`${method} ${path} ${JSON.stringify(body).slice(0, 200)}`, answer, method);
      }),
      { numRuns: 150 },
    );
  });

  test('raw bodies under any content type', async () => {
    await fc.assert(
      fc.asyncProperty(route, rawBody, contentType, async ([, path], body, type) => {
        const answer = await send('POST', path, { 'content-type': type, 'x-api-key': KEY }, body);
        checkAnswer(`POST ${path} (${type}) ${body.slice(0, 100)}`, answer, 'POST');
      }),
      { numRuns: 150 },
    );
  });

  test('query strings and paths, percent-encoding broken or not, under every method', async () => {
    const query = fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom('offset', 'limit', 'api_key', 'version', 'id'),
          fc.stringMatching(/^[!-~]{0,12}$/),
        ),
        fc.oneof(
          fc.stringMatching(/^[!-~]{0,20}$/),
          fc.string().map(encodeURIComponent),
          fc.constantFrom('%', '%zz', '%E0%A4%A', '-1', '1e9', '99999999999'),
        ),
      ),
      { maxLength: 5 },
    );
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
    const path = fc.oneof(
      route.map(([, p]) => p),
      fc.stringMatching(/^\/[!-~]{0,40}$/).filter((p) => !p.includes('#')),
      fc.constantFrom(
        '/models/%',
        '/models/..%2F..%2Fchampion.json',
        '/retrain/%zz',
        '/admin/queues/%',
        '//predict',
        '/docs/%2e%2e/',
        `/models/${'v'.repeat(101)}`,
        `/retrain/${'9'.repeat(120)}`,
        '/admin/queues/static/../../..//evil.example?api_key=x',
      ),
    );
    await fc.assert(
      fc.asyncProperty(method, path, query, async (verb, where, pairs) => {
        const search = pairs.map(([k, v]) => `${k}=${v}`).join('&');
        const url = search ? `${where.split('?')[0]}?${search}` : where;
        const answer = await send(verb, url, { 'x-api-key': KEY });
        checkAnswer(`${verb} ${url}`, answer, verb);
      }),
      { numRuns: 200 },
    );
  });

  test('cookies, basic auth, x-api-key and other headers with odd bytes', async () => {
    const cookie = fc.oneof(
      headerValue,
      headerValue.map((v) => `brewstream_session=${v}`),
      fc.constantFrom(
        'brewstream_session=%',
        'brewstream_session=%E0%A4%A; a=%',
        'brewstream_session',
        '=;=;',
        'brewstream_session="',
      ),
    );
    const authorization = fc.oneof(
      headerValue,
      headerValue.map((v) => `Basic ${v}`),
      fc.tuple(headerValue, headerValue).map(([user, password]) => basic(user, password)),
      fc.constant(basic('ops', KEY)),
      fc.constantFrom('Basic', 'Basic =', 'Basic %%%', 'Bearer', 'Basic bm9jb2xvbg=='),
    );
    const headers = fc.record(
      {
        cookie,
        authorization,
        'x-api-key': fc.oneof(headerValue, fc.constant(KEY)),
        'content-type': contentType,
        accept: headerValue,
        'x-forwarded-for': headerValue,
        'x-forwarded-proto': fc.oneof(headerValue, fc.constantFrom('https', 'http', 'https, http')),
        origin: fc.oneof(headerValue, fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1')),
        'accept-encoding': headerValue,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(route, headers, async ([method, path], sent) => {
        const body = method === 'POST' ? JSON.stringify({ abv: 5, target_og: 1050 }) : undefined;
        const answer = await send(method, path, sent, body);
        checkAnswer(`${method} ${path} ${JSON.stringify(sent)}`, answer, method);
      }),
      { numRuns: 200 },
    );
  });

  test('raw bytes on a socket: lying content-length, broken framing, control characters', async () => {
    const body = '{"abv":5,"target_og":1050}';
    const line = (method: string, path: string, headers: string) =>
      `${method} ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;
    const crafted = fc.constantFrom(
      `${line('POST', '/predict', `Content-Type: application/json\r\nContent-Length: ${body.length + 50}\r\n`)}${body}`,
      `${line('POST', '/predict', `Content-Type: application/json\r\nContent-Length: 5\r\n`)}${body}`,
      `${line('POST', '/predict', `Content-Type: application/json\r\nContent-Length: 3\r\nContent-Length: 40\r\n`)}${body}`,
      `${line('POST', '/predict', 'Content-Type: application/json\r\nContent-Length: -1\r\n')}${body}`,
      `${line('POST', '/predict', 'Content-Type: application/json\r\nContent-Length: 99999999999999999999\r\n')}${body}`,
      `${line('POST', '/predict', 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n')}zz\r\n${body}\r\n0\r\n\r\n`,
      `${line('POST', '/predict', 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n')}4\r\n{"ab\r\n0\r\n\r\n`,
      `${line('POST', '/predict', `Content-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\n`)}${body}`,
      line('GET', '/models', 'X-Api-Key: a\u0000b\r\n'),
      line('GET', '/models', 'Cookie: brewstream_session=\u0001\u0002\r\n'),
      line('GET', '/models', `X-Api-Key: ${'k'.repeat(20_000)}\r\n`),
      line('GET', '/models', `Cookie: ${'a=b; '.repeat(20_000)}\r\n`),
      line('GET', '/models', 'Bad Header\r\n'),
      line('GET', '/models?api_key=%00%', ''),
      line('BREW', '/predict', ''),
      line('GET', '/admin/queues?api_key=%', ''),
      'GET /models HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /models\r\n\r\n',
      '\r\n\r\n\r\n',
      'GET /models HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n',
    );
    const bytes = fc.oneof(
      crafted,
      fc.string({ unit: 'binary', maxLength: 100 }).map((junk) => line('GET', '/models', `X: ${junk}\r\n`)),
      fc
        .uint8Array({ maxLength: 200 })
        .map((junk) => Buffer.concat([Buffer.from('POST /predict HTTP/1.1\r\n'), junk])),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (sent) => {
        const answers = await raw(sent);
        for (const answer of answers)
          checkAnswer(`raw ${JSON.stringify(String(sent).slice(0, 120))}`, answer);
      }),
      { numRuns: 60 },
    );
  });

  test('the server is alive and serving after the sweep', async () => {
    const health = await send('GET', '/health');
    assert.equal(health.status, 200);
    const predicted = await send(
      'POST',
      '/predict',
      { 'content-type': 'application/json' },
      JSON.stringify({ abv: 5, target_og: 1050 }),
    );
    assert.equal(predicted.status, 200, predicted.text);
  });
});
