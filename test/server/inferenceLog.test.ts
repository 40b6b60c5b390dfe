// The inference log on the S3 stand-in (docs/design.md "Inference log"): N prediction rows, single
// and batch, become exactly N log rows with their fields, written by size, by age, when the app
// closes and when the real process gets SIGTERM; an S3 that refuses the writes costs the oldest
// rows past INFERENCE_LOG_MAX_ROWS (counted, warned) and never a prediction.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../lib/aws.js';
import { PREDICTIONS_PREFIX, parsePredictionLogKey } from '../../lib/cleanedKeys.js';
import { isRecord } from '../../lib/guards.js';
import { getObjectText, listObjects } from '../../lib/s3.js';
import { loadTf } from '../../lib/tfjs.js';
import { freePort } from '../support/ports.js';
import { startS3Proxy } from '../support/s3Proxy.js';
import { serverEnv, startServer, type TestServer } from '../support/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { until, waitFor } from '../support/wait.js';
import { PREPROCESSING, publishModel, tinyModel } from './models.js';

let stack: TestStack;
let s3: S3Client;
let version: string;
const KEY = 'inference-log-test-key-0123456789';

before(async () => {
  stack = await startTestStack({ stream: false });
  s3 = s3Client(stack.config);
  const { tf } = await loadTf('cpu');
  const model = tinyModel(tf, 3);
  version = await publishModel(s3, stack.config.buckets.models, model);
  model.dispose();
});

after(async () => {
  s3.destroy();
  await stack.close();
});

/** Every row of every log object of `instance`, in row order, with the object it came from. */
async function loggedRows(instance: string): Promise<Array<Record<string, unknown> & { key: string }>> {
  const bucket = stack.config.buckets.cleaned;
  const keys = (await listObjects(s3, bucket, PREDICTIONS_PREFIX))
    .map(({ key }) => key)
    .filter((key) => parsePredictionLogKey(key)?.instance === instance);
  const rows: Array<Record<string, unknown> & { key: string }> = [];
  for (const key of keys) {
    for (const line of (await getObjectText(s3, bucket, key)).split('\n').filter((l) => l !== '')) {
      const parsed: unknown = JSON.parse(line);
      assert.ok(isRecord(parsed), `a JSON object per line in ${key}`);
      rows.push({ ...parsed, key });
    }
  }
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq));
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const answer: unknown = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  assert.ok(isRecord(answer));
  return answer;
}

const SINGLES = [
  { abv: 4.5, target_og: 1044, target_fg: 1010, ebc: 20, srm: 10, ph: 4.4 },
  { abv: 8, target_og: 1080 },
];
const BATCH = [
  { abv: 5, target_og: 1050, ebc: null },
  { abv: 6.5, target_og: 1060, ph: 4.1 },
  { abv: 12, target_og: 1100, target_fg: 1020 },
  { abv: 3.2, target_og: 1032, srm: 4 },
];

/** Two single predictions and a batch of four: six rows, and what the API answered for each. */
async function predictSix(url: string, headers: Record<string, string> = {}) {
  const answers: Array<{ ibu: unknown; bitterness: unknown; model: unknown; inputs: object }> = [];
  for (const body of SINGLES) {
    const { ibu, bitterness, model } = await post(url, '/predict', body, headers);
    answers.push({ ibu, bitterness, model, inputs: body });
  }
  const batch = await post(url, '/predict/batch', { instances: BATCH }, headers);
  assert.ok(Array.isArray(batch.predictions));
  batch.predictions.forEach((p: unknown, i: number) => {
    assert.ok(isRecord(p));
    answers.push({ ibu: p.ibu, bitterness: p.bitterness, model: batch.model, inputs: BATCH[i] as object });
  });
  return answers;
}

async function serve(env: Record<string, string>): Promise<TestServer> {
  return startServer({ stack, env, backend: 'cpu', capture: true, readyWithinMs: 30_000 });
}

describe('inference log', () => {
  test('by size: six rows, single and batch, land as six log rows with every field, the key as a digest only', async () => {
    const server = await serve({
      INFERENCE_LOG_FLUSH_ROWS: '6',
      INFERENCE_LOG_FLUSH_MS: '3600000',
      API_KEYS: KEY,
    });
    try {
      const started = Date.now();
      const answers = await predictSix(server.url, { 'x-api-key': KEY });
      const instance = server.app.inferenceLog.instance;
      const rows = await waitFor(
        (last) => `six log rows (${last.length} so far)`,
        () => loggedRows(instance),
        (r) => r.length >= 6,
        20_000,
      );
      assert.equal(rows.length, 6);
      assert.deepEqual(
        rows.map((r) => r.seq),
        [1, 2, 3, 4, 5, 6],
      );
      const digest = createHash('sha256').update(KEY).digest('hex').slice(0, 12);
      rows.forEach((row, i) => {
        const answer = answers[i];
        assert.ok(answer);
        assert.deepEqual(row.inputs, answer.inputs, `row ${i + 1} inputs as sent`);
        assert.equal(row.ibu, answer.ibu);
        assert.equal(row.band, answer.bitterness);
        assert.equal(row.version, version);
        assert.equal(row.version, answer.model);
        assert.equal(row.keyDigest, digest);
        assert.equal(typeof row.requestId, 'string');
        assert.ok(typeof row.latencyMs === 'number' && row.latencyMs >= 0);
        const time = Date.parse(String(row.time));
        assert.ok(time >= started - 1000 && time <= Date.now(), `row ${i + 1} time ${row.time}`);
        assert.equal(row.key.split('/')[1], `dt=${String(row.time).slice(0, 10)}`);
        assert.ok(isRecord(row.features));
      });
      // Imputed with the version's training medians where the request left a value out.
      const second = rows[1]?.features;
      assert.ok(isRecord(second));
      assert.equal(second.ebc, PREPROCESSING.medians.ebc);
      assert.equal(second.ph, PREPROCESSING.medians.ph);
      assert.equal(second.abv, 8);
      // The batch's rows share its request id; the singles have their own.
      assert.equal(new Set(rows.slice(2).map((r) => r.requestId)).size, 1);
      assert.equal(new Set(rows.map((r) => r.requestId)).size, 3);
      assert.ok(!JSON.stringify(rows).includes(KEY), 'no row carries the key');
    } finally {
      await server.close();
    }
  });

  test('by age: rows wait at most INFERENCE_LOG_FLUSH_MS', async () => {
    const server = await serve({ INFERENCE_LOG_FLUSH_ROWS: '100000', INFERENCE_LOG_FLUSH_MS: '300' });
    try {
      await predictSix(server.url);
      const instance = server.app.inferenceLog.instance;
      const rows = await waitFor(
        (last) => `six log rows (${last.length} so far)`,
        () => loggedRows(instance),
        (r) => r.length >= 6,
        10_000,
      );
      assert.equal(rows.length, 6);
      assert.equal(rows[0]?.keyDigest, null);
    } finally {
      await server.close();
    }
  });

  test('on close: what waits is written before the S3 client goes', async () => {
    const server = await serve({ INFERENCE_LOG_FLUSH_ROWS: '100000', INFERENCE_LOG_FLUSH_MS: '3600000' });
    const instance = server.app.inferenceLog.instance;
    await predictSix(server.url);
    await predictSix(server.url);
    assert.equal((await loggedRows(instance)).length, 0, 'nothing written before the close');
    await server.close();
    const rows = await loggedRows(instance);
    assert.equal(rows.length, 12);
    assert.deepEqual(
      rows.map((r) => r.seq),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
  });

  test('SIGTERM: the real process writes what waits before it exits', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/bin/brewstream.js', 'server'], {
      env: serverEnv(stack, {
        PORT: String(port),
        LOG_LEVEL: 'info',
        INFERENCE_LOG_FLUSH_ROWS: '100000',
        INFERENCE_LOG_FLUSH_MS: '3600000',
        TFJS_BACKEND: 'cpu',
      }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await until(
        'the server to become ready',
        async () => (await fetch(`${url}/ready`).catch(() => undefined))?.status === 200,
        30_000,
        100,
      );
      await predictSix(url);
      const recent = await (await fetch(`${url}/predictions/recent?limit=1`)).json();
      assert.ok(isRecord(recent) && Array.isArray(recent.predictions));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const flushed = output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l): unknown => JSON.parse(l))
        .find((l) => isRecord(l) && l.msg === 'inference log flushed');
      assert.ok(isRecord(flushed), 'the flushed line');
      assert.equal(flushed.rows, 6);
      const rows = await loggedRows(String(flushed.instance));
      assert.equal(rows.length, 6);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('S3 refusing the writes: predictions answer, the oldest rows past the bound are dropped and counted, the rest land', async () => {
    let down = true;
    const cleaned = stack.config.buckets.cleaned;
    const proxy = await startS3Proxy(stack.env.AWS_ENDPOINT_URL_S3 as string, (method, path) =>
      down && method === 'PUT' && path.startsWith(`/${cleaned}/${PREDICTIONS_PREFIX}`)
        ? { status: 503, code: 'ServiceUnavailable' }
        : 'pass',
    );
    const server = await serve({
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      INFERENCE_LOG_FLUSH_ROWS: '2',
      INFERENCE_LOG_FLUSH_MS: '100',
      INFERENCE_LOG_MAX_ROWS: '5',
    });
    try {
      const instance = server.app.inferenceLog.instance;
      for (let i = 0; i < 8; i += 1) await post(server.url, '/predict', { abv: 4 + i, target_og: 1050 });
      await until('the write to fail', async () =>
        server.lines.some(
          (l) => l.msg === 'inference log: could not write to S3; the rows wait for the next write',
        ),
      );
      assert.equal(server.app.inferenceLog.dropped, 3);
      const warned = server.lines.filter((l) => typeof l.inferenceLogDropped === 'number');
      assert.equal(
        warned.reduce((n, l) => n + Number(l.inferenceLogDropped), 0),
        3,
      );
      assert.equal(warned[0]?.level, 40);
      down = false;
      const rows = await waitFor(
        (last) => `five log rows (${last.length} so far)`,
        () => loggedRows(instance),
        (r) => r.length >= 5,
        30_000,
      );
      assert.deepEqual(
        rows.map((r) => [r.seq, (r.inputs as { abv: number }).abv]),
        [4, 5, 6, 7, 8].map((seq) => [seq, 3 + seq]),
      );
    } finally {
      await server.close();
      await proxy.close();
    }
  });
});
