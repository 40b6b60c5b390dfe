// `brewstream server` as a process: keys on predictions when PREDICT_REQUIRES_KEY, the rate
// limit, the OpenAPI document, and the SIGTERM drill: the server stopped under load finishes
// every request it accepted, fails none, and exits 0 within its grace.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { s3Client } from '../../lib/aws.js';
import { loadTf } from '../../lib/tfjs.js';
import { freePort } from '../support/ports.js';
import { serverEnv } from '../support/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { sleep, until } from '../support/wait.js';
import { publishModel, tinyModel } from './models.js';

const KEY = 'main-test-key';
const KEY2 = 'second-key';
const LIMIT = 300;
/** server/main.ts cuts connections still open this long after SIGTERM. */
const CLOSE_GRACE_MS = 10_000;
let stack: TestStack;
let base: string;
const servers: ChildProcess[] = [];

interface Server {
  base: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The JSON log lines the process has written so far. */
  lines: Array<Record<string, unknown>>;
}

/** `brewstream server` on a free port with the stack's env plus `env`, once /ready answers 200. */
async function spawnServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/bin/brewstream.js', 'server'], {
    env: serverEnv(stack, { PORT: String(port), LOG_LEVEL: 'warn', ...env }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servers.push(child);
  const lines: Array<Record<string, unknown>> = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await until(
    'the server to become ready',
    async () => (await fetch(`${url}/ready`).catch(() => undefined))?.status === 200,
    30_000,
    100,
  );
  return { base: url, child, exited, lines };
}

before(async () => {
  stack = await startTestStack({ stream: false });
  const { tf } = await loadTf('auto');
  const s3 = s3Client(stack.config);
  const model = tinyModel(tf, 7);
  await publishModel(s3, stack.config.buckets.models, model);
  model.dispose();
  s3.destroy();
  ({ base } = await spawnServer({
    API_KEYS: `${KEY},${KEY2}`,
    PREDICT_REQUIRES_KEY: 'true',
    RATE_LIMIT_PER_MINUTE: String(LIMIT),
  }));
});

after(async () => {
  for (const child of servers)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
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

/** How one request of the drill ended: a status, or the socket error that ended it. */
interface Outcome {
  status?: number;
  error?: string;
  /** When it was sent and answered, relative to the signal (negative: before SIGTERM). */
  sentMs: number;
  doneMs: number;
}

const PREDICTION = JSON.stringify({ abv: 5, target_og: 1050 });

function predictOn(server: Server, agent: http.Agent | false, signalAt: () => number): Promise<Outcome> {
  const sentMs = Date.now() - signalAt();
  return new Promise((resolve) => {
    const request = http.request(
      `${server.base}/predict`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': PREDICTION.length },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, sentMs, doneMs: Date.now() - signalAt() }),
        );
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message, sentMs, doneMs: Date.now() - signalAt() }),
    );
    request.end(PREDICTION);
  });
}

/** A request whose body is still arriving when the signal lands (half now, the rest later). */
function slowPredict(server: Server, restAfter: Promise<void>): Promise<Outcome> {
  const sent = Date.now();
  return new Promise((resolve) => {
    const request = http.request(
      `${server.base}/predict`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': PREDICTION.length },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, sentMs: 0, doneMs: Date.now() - sent }),
        );
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message, sentMs: 0, doneMs: Date.now() - sent }),
    );
    request.write(PREDICTION.slice(0, 10));
    void restAfter.then(() => request.end(PREDICTION.slice(10)));
  });
}

test('SIGTERM drill: under load, every accepted request completes, none fails, exit 0 within the grace', {
  timeout: 60_000,
}, async (t) => {
  const server = await spawnServer({ LOG_LEVEL: 'info' });
  const WORKERS = 16;
  let signalledAt = Number.POSITIVE_INFINITY;
  const signalAt = () => (Number.isFinite(signalledAt) ? signalledAt : Date.now());
  const outcomes: Outcome[] = [];
  const loadEnds = Date.now() + 20_000; // a bound, in case the server never stops
  // Each worker keeps one keep-alive connection, as a load balancer does, and sends requests back
  // to back until the server refuses its connection.
  const worker = async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (;;) {
        const outcome = await predictOn(server, agent, signalAt);
        outcomes.push(outcome);
        if (outcome.error === 'ECONNREFUSED' || Date.now() > loadEnds) return;
      }
    } finally {
      agent.destroy();
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);
  // Three requests are mid-body when the signal lands; their bodies finish 300 ms after it.
  let signalSent: () => void = () => {};
  const signalled = new Promise<void>((resolve) => {
    signalSent = resolve;
  });
  const restAfter = signalled.then(() => sleep(300));
  await sleep(1000);
  const slow = [
    slowPredict(server, restAfter),
    slowPredict(server, restAfter),
    slowPredict(server, restAfter),
  ];
  await sleep(200);
  const beforeSignal = outcomes.length;
  signalledAt = Date.now();
  server.child.kill('SIGTERM');
  signalSent();
  const code = await server.exited;
  const exitMs = Date.now() - signalledAt;
  await Promise.all(workers);
  const slowOutcomes = await Promise.all(slow);

  // The load was real, and requests were still being answered after the signal.
  assert.ok(beforeSignal > 100, `only ${beforeSignal} requests before the signal`);
  const answered = outcomes.filter((o) => o.status !== undefined);
  const answeredAfter = answered.filter((o) => o.doneMs > 0);
  assert.ok(answeredAfter.length > 0, 'no request was answered after the signal');
  // Every answer was a success: no 5xx (no 503 for a request on a kept-alive connection either).
  const failed = answered.filter((o) => o.status !== 200);
  assert.deepEqual(
    failed.map((o) => o.status),
    [],
    `${failed.length} of ${answered.length} answers failed`,
  );
  // The requests in flight when the signal landed completed.
  assert.deepEqual(
    slowOutcomes.map((o) => o.status ?? o.error),
    [200, 200, 200],
  );
  // A request that got no answer was never accepted: its connection was refused, or was an idle
  // keep-alive one the server closed as the request was sent. Every request the server accepted
  // is in its log with a 200, and exactly as many 200s reached the clients.
  const unanswered = outcomes.filter((o) => o.error !== undefined);
  for (const o of unanswered) assert.ok(['ECONNREFUSED', 'ECONNRESET'].includes(o.error as string), o.error);
  assert.ok(
    unanswered.every((o) => o.sentMs >= 0),
    'a request failed before the signal',
  );
  const logged = server.lines.filter((line) => line.msg === 'request' && line.url === '/predict');
  assert.deepEqual(
    [...new Set(logged.map((line) => line.status))],
    [200],
    'the server logged a request that did not succeed',
  );
  assert.equal(logged.length, answered.length + slowOutcomes.length, 'an accepted request lost its answer');
  // It exits cleanly, within the grace, and then refuses connections (not a 5xx).
  assert.equal(code, 0);
  assert.ok(exitMs < CLOSE_GRACE_MS, `exit took ${exitMs} ms`);
  const late = await predictOn(server, false, signalAt);
  assert.equal(late.error, 'ECONNREFUSED');
  t.diagnostic(
    JSON.stringify({
      beforeSignal,
      answeredAfterSignal: answeredAfter.length,
      lastAnswerMs: Math.max(...answeredAfter.map((o) => o.doneMs)),
      refused: unanswered.filter((o) => o.error === 'ECONNREFUSED').length,
      resetWhileIdle: unanswered.filter((o) => o.error === 'ECONNRESET').length,
      exitMs,
    }),
  );
});
