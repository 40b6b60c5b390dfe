// `brewstream server` as a process: keys on predictions when PREDICT_REQUIRES_KEY, the rate
// limit, the OpenAPI document, and a SIGTERM that lets in-flight requests finish before exit.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { s3Client } from '../../lib/aws.js';
import { loadTf } from '../../lib/tfjs.js';
import { freePort } from '../support/ports.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { publishModel, tinyModel } from './models.js';

const KEY = 'main-test-key';
const KEY2 = 'second-key';
const LIMIT = 300;
let stack: TestStack;
let child: ChildProcess;
let base: string;
let exited: Promise<number | null>;

before(async () => {
  stack = await startTestStack({ stream: false });
  const { tf } = await loadTf('auto');
  const s3 = s3Client(stack.config);
  const model = tinyModel(tf, 7);
  await publishModel(s3, stack.config.buckets.models, model);
  model.dispose();
  s3.destroy();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['dist/bin/brewstream.js', 'server'], {
    env: {
      ...process.env,
      ...stack.env,
      PORT: String(port),
      API_KEYS: `${KEY},${KEY2}`,
      PREDICT_REQUIRES_KEY: 'true',
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${base}/ready`).catch(() => undefined);
    if (ready?.status === 200) break;
    if (Date.now() > deadline) throw new Error('server did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

after(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await stack?.close();
});

const predict = (headers: Record<string, string> = {}) =>
  fetch(`${base}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ abv: 5, target_og: 1050 }),
  });

test('predictions need a key when PREDICT_REQUIRES_KEY is set', async () => {
  const missing = await predict();
  assert.equal(missing.status, 401);
  assert.deepEqual(Object.keys((await missing.json()) as object).sort(), ['error', 'message']);
  assert.equal((await predict({ 'x-api-key': 'wrong' })).status, 403);
  assert.equal((await predict({ 'x-api-key': KEY })).status, 200);
});

test('serves the OpenAPI document and Swagger UI at /docs', async () => {
  const doc = (await (await fetch(`${base}/docs/json`)).json()) as {
    openapi: string;
    paths: Record<string, unknown>;
  };
  assert.match(doc.openapi, /^3\./);
  for (const path of ['/predict', '/predict/batch', '/models', '/models/{version}', '/table', '/retrain']) {
    assert.ok(doc.paths[path], `${path} documented`);
  }
  assert.equal((await fetch(`${base}/docs/`)).status, 200);
});

test('the rate limit answers 429 in the error shape once a client passes it', async () => {
  let limited: Response | undefined;
  for (let i = 0; i < LIMIT + 10 && !limited; i += 1) {
    const r = await predict({ 'x-api-key': KEY2 });
    if (r.status === 429) limited = r;
    else await r.arrayBuffer();
  }
  assert.ok(limited, 'got a 429');
  const body = (await limited.json()) as { error: string; message: string };
  assert.equal(body.error, 'rate_limited');
  // Liveness is not rate limited, and the limit is per key: the other key still predicts.
  assert.equal((await fetch(`${base}/health`)).status, 200);
  assert.equal((await predict({ 'x-api-key': KEY })).status, 200);
});

test('SIGTERM lets an in-flight request finish, then the process exits 0', async () => {
  // A request whose body is still arriving when the signal lands: it must still be answered.
  const body = JSON.stringify({ abv: 5, target_og: 1050 });
  const started = Date.now();
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request(
      `${base}/predict`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-api-key': KEY },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on('error', reject);
    request.write(body.slice(0, 10));
    setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => request.end(body.slice(10)), 300);
    }, 100);
  });
  const { status, text } = await answer;
  assert.equal(status, 200, text);
  assert.equal(await exited, 0);
  // Idle keep-alive sockets (this file's fetches) must not hold the exit for keepAliveTimeout.
  assert.ok(Date.now() - started < 10_000, `exit took ${Date.now() - started} ms`);
});
