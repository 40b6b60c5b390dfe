// The server end to end: a real listener on port 0, real Redis, the S3 stand-in, tfjs models
// written into the registry layout by the test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LayersModel } from '@tensorflow/tfjs';
import { s3Client } from '../../lib/aws.js';
import { encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { modelRegistry } from '../../lib/modelRegistry.js';
import { createRedis, MODEL_PROMOTED_CHANNEL } from '../../lib/redis.js';
import { putObject } from '../../lib/s3.js';
import type { Tf } from '../../lib/tfjs.js';
import { startServer, type TestServer } from '../support/server.js';
import { sleep, until } from '../support/wait.js';
import { expectedIbu, publishModel, tinyModel } from './models.js';

const KEY = 'test-key-0123456789';
let server: TestServer;
let tf: Tf;
let s3: S3Client;
let base: string;
const models: Record<string, LayersModel> = {};
const versions: Record<string, string> = {};
const publisher = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

before(async () => {
  server = await startServer({
    env: { API_KEYS: `other-key,${KEY}`, CHAMPION_POLL_MS: '300', PREDICT_BATCH_MAX: '8', LOG_LEVEL: 'warn' },
  });
  ({ tf, url: base } = server);
  s3 = s3Client(server.config);
});

after(async () => {
  s3?.destroy();
  publisher.disconnect();
  for (const model of Object.values(models)) model.dispose();
  await server?.close();
});

describe('server', () => {
  test('is live at once, ready without a model while none exists, then serves the champion (poll fallback)', async () => {
    assert.equal((await get('/health')).status, 200);
    // No champion yet (a fresh deployment): the API stays reachable, predictions say why they cannot.
    await until('no-model', async () => (await get('/ready')).status === 200);
    assert.deepEqual((await get('/ready')).body, { status: 'no-model', model: null, redis: 'up', s3: 'ok' });
    const predict = await post('/predict', { abv: 5, target_og: 1050 });
    assert.equal(predict.status, 503);
    assert.equal((predict.body as { error: string }).error, 'not_ready');
    models.v1 = tinyModel(tf, 1);
    // No message: the poll of champion.json must find it.
    versions.v1 = await publishModel(s3, server.config.buckets.models, models.v1);
    await until('ready', async () => (await get('/ready')).body.model === versions.v1);
    assert.deepEqual((await get('/ready')).body, {
      status: 'ready',
      model: versions.v1,
      redis: 'up',
      s3: 'ok',
    });
  });

  test('predictions equal the model output, preprocessing included', async () => {
    const full = { abv: 4.5, target_fg: 1010, target_og: 1044, ebc: 20, srm: 10, ph: 4.4 };
    const partial = { abv: 12, target_og: 1110 };
    const nulls = { abv: 8, target_og: 1075, ebc: null, ph: null };
    const [wantFull, wantPartial, wantNulls] = expectedIbu(tf, models.v1 as LayersModel, [
      full,
      partial,
      { abv: 8, target_og: 1075 },
    ]);
    const one = await post('/predict', full);
    assert.equal(one.status, 200);
    assert.equal(one.body.model, versions.v1);
    assert.ok(
      Math.abs((one.body.ibu as number) - (wantFull as number)) < 1e-3,
      `${one.body.ibu} vs ${wantFull}`,
    );
    assert.ok(['low', 'medium', 'high', 'very high', 'extreme'].includes(one.body.bitterness as string));
    const batch = await post('/predict/batch', { instances: [full, partial, nulls] });
    assert.equal(batch.status, 200);
    const got = (batch.body.predictions as Array<{ ibu: number }>).map((p) => p.ibu);
    for (const [i, want] of [wantFull, wantPartial, wantNulls].entries()) {
      assert.ok(Math.abs((got[i] as number) - (want as number)) < 1e-3, `row ${i}: ${got[i]} vs ${want}`);
    }
    // Concurrent requests are micro-batched and still each get their own row.
    const many = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post('/predict', { abv: 3 + i * 0.5, target_og: 1040 + i })),
    );
    const want = expectedIbu(
      tf,
      models.v1 as LayersModel,
      Array.from({ length: 40 }, (_, i) => ({ abv: 3 + i * 0.5, target_og: 1040 + i })),
    );
    for (const [i, r] of many.entries()) {
      assert.ok(Math.abs((r.body.ibu as number) - (want[i] as number)) < 1e-3, `req ${i}`);
    }
  });

  test('bad inputs get a 400 naming the field', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['missing required', '/predict', { target_og: 1050 }, 'abv'],
      ['string number', '/predict', { abv: '5', target_og: 1050 }, 'abv'],
      ['out of range', '/predict', { abv: 5, target_og: 1050, ph: 15 }, 'ph'],
      ['negative', '/predict', { abv: -1, target_og: 1050 }, 'abv'],
      ['huge number', '/predict', '{"abv": 1e400, "target_og": 1050}', 'abv'],
      ['extra field', '/predict', { abv: 5, target_og: 1050, hops: 3 }, 'hops'],
      ['array body', '/predict', [1, 2], 'body'],
      [
        'batch row',
        '/predict/batch',
        { instances: [{ abv: 5, target_og: 1050 }, { abv: 5 }] },
        'instances[1].target_og',
      ],
      [
        'oversized batch',
        '/predict/batch',
        { instances: Array(9).fill({ abv: 5, target_og: 1050 }) },
        'instances',
      ],
      ['empty batch', '/predict/batch', { instances: [] }, 'instances'],
    ];
    for (const [name, path, body, field] of cases) {
      const r = await post(path, body);
      assert.equal(r.status, 400, name);
      assert.equal(r.body.field, field, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.message, 'string');
      assert.equal(r.body.stack, undefined);
    }
    const nan = await post('/predict', '{"abv": NaN, "target_og": 1050}');
    assert.equal(nan.status, 400);
    assert.equal(nan.body.field, 'body');
    const empty = await post('/predict', '');
    assert.equal(empty.status, 400);
    assert.equal(empty.body.field, 'body');
    const text = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'abv=5',
    });
    assert.equal(text.status, 400);
    assert.equal(((await text.json()) as { field: string }).field, 'content-type');
    const noBody = await fetch(`${base}/predict`, { method: 'POST' });
    assert.equal(noBody.status, 400);
  });

  test('retrain routes and the dashboard need an API key: 401 missing, 403 wrong', async () => {
    assert.equal((await post('/retrain', {})).status, 401);
    assert.equal((await post('/retrain', {}, { 'x-api-key': 'nope' })).status, 403);
    assert.equal((await post('/retrain', {}, { 'x-api-key': `${KEY}x` })).status, 403);
    assert.equal((await get('/admin/queues')).status !== 200, true);
    const dash = await fetch(`${base}/admin/queues/api/queues`);
    assert.equal(dash.status, 401);
    const wrong = await fetch(`${base}/admin/queues/api/queues`, { headers: { 'x-api-key': 'nope' } });
    assert.equal(wrong.status, 403);
    const basic = await fetch(`${base}/admin/queues/api/queues`, {
      headers: { authorization: `Basic ${Buffer.from(`ops:${KEY}`).toString('base64')}` },
    });
    assert.equal(basic.status, 200);
    const once = await fetch(`${base}/admin/queues?api_key=${KEY}`, { redirect: 'manual' });
    assert.equal(once.status, 303);
    const cookie = once.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    const withCookie = await fetch(`${base}/admin/queues/api/queues`, {
      headers: { cookie: cookie.split(';')[0] as string },
    });
    assert.equal(withCookie.status, 200);
    // Predictions are open unless PREDICT_REQUIRES_KEY.
    assert.equal((await post('/predict', { abv: 5, target_og: 1050 })).status, 200);
  });

  test('POST /retrain queues a manual retrain, joins a waiting one; GET /retrain/:id reports it', async () => {
    const first = await post('/retrain', {}, { 'x-api-key': KEY });
    assert.equal(first.status, 202);
    assert.equal(first.body.created, true);
    const second = await post('/retrain', {}, { 'x-api-key': KEY });
    assert.equal(second.status, 202);
    assert.equal(second.body.created, false);
    assert.equal(second.body.id, first.body.id);
    const job = await get(`/retrain/${first.body.id}`, { 'x-api-key': KEY });
    assert.equal(job.status, 200);
    assert.equal(job.body.state, 'waiting');
    assert.equal(job.body.reason, 'manual');
    assert.equal(job.body.force, false);
    // A forced request joins the waiting job and forces it; a request with no body at all is fine.
    const forced = await post('/retrain', { force: true }, { 'x-api-key': KEY });
    assert.deepEqual([forced.status, forced.body.id], [202, first.body.id]);
    assert.equal((await get(`/retrain/${first.body.id}`, { 'x-api-key': KEY })).body.force, true);
    const bare = await fetch(`${base}/retrain`, { method: 'POST', headers: { 'x-api-key': KEY } });
    assert.equal(bare.status, 202);
    for (const body of [{ force: 'yes' }, { forse: true }]) {
      const refused = await post('/retrain', body, { 'x-api-key': KEY });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.match(String(refused.body.message), /force|forse/);
    }
    assert.equal((await get('/retrain/999999', { 'x-api-key': KEY })).status, 404);
    // What cannot be a retrain job's id is no job either (docs/design.md "HTTP API").
    assert.equal((await get('/retrain/bad%20id', { 'x-api-key': KEY })).status, 404);
  });

  test('models and table routes', async () => {
    const list = await get('/models');
    assert.equal(list.status, 200);
    assert.equal(list.body.champion, versions.v1);
    assert.equal(list.body.total, 1);
    assert.equal(list.body.next, null);
    assert.deepEqual(
      (list.body.models as Array<{ version: string }>).map((m) => m.version),
      [versions.v1],
    );
    const champion = await get('/models/champion');
    assert.equal(champion.body.version, versions.v1);
    assert.ok(champion.body.metrics);
    assert.equal((await get(`/models/${versions.v1}`)).body.version, versions.v1);
    assert.equal((await get('/models/20200101T000000000Z-abcdef')).status, 404);
    assert.equal((await get('/models/v999')).body.field, 'version');
    assert.equal((await get('/models/..%2Fsecret')).status, 400);

    const empty = await get('/table');
    assert.equal(empty.body.total, 0);
    assert.equal(empty.body.lastUpdate, null);
    const rows = Array.from({ length: 7 }, (_, i) => ({
      id: i + 1,
      name: `beer ${i + 1}`,
      abv: 5,
      ibu: 30,
      target_fg: 1010,
      target_og: 1050,
      ebc: null,
      srm: 10,
      ph: 4.4,
    }));
    await putObject(
      s3,
      server.config.buckets.cleaned,
      'rows/dt=2026-11-24/shardId-0/1-7.csv',
      encodeCleanedCsv(rows),
      'text/csv',
    );
    // A later object rewrites beer 2: one row per id, the latest wins.
    await putObject(
      s3,
      server.config.buckets.cleaned,
      'rows/dt=2026-11-24/shardId-1/8-8.csv',
      encodeCleanedCsv([{ ...rows[1], name: 'renamed' } as (typeof rows)[number]]),
      'text/csv',
    );
    await sleep(2100); // past the table cache
    const page = await get('/table?offset=1&limit=2');
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 7);
    assert.deepEqual(
      (page.body.rows as Array<{ id: number; name: string }>).map((r) => [r.id, r.name]),
      [
        [2, 'renamed'],
        [3, 'beer 3'],
      ],
    );
    assert.ok(typeof page.body.lastUpdate === 'string');
    assert.equal((await get('/table?limit=abc')).body.field, 'limit');
    assert.equal((await get('/table?limit=0')).status, 400);
  });

  test('a promotion during sustained load swaps with zero failed requests', async () => {
    models.v2 = tinyModel(tf, 2);
    versions.v2 = await publishModel(s3, server.config.buckets.models, models.v2, { champion: false });
    const seen = new Map<string, number>();
    const failures: string[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const r = await post('/predict', { abv: 6, target_og: 1060 });
          if (r.status !== 200) failures.push(`${r.status} ${JSON.stringify(r.body)}`);
          else seen.set(r.body.model as string, (seen.get(r.body.model as string) ?? 0) + 1);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const workers = Array.from({ length: 20 }, worker);
    await sleep(500);
    await modelRegistry(s3, server.config.buckets.models).promote(versions.v2);
    await publisher.publish(MODEL_PROMOTED_CHANNEL, JSON.stringify({ version: versions.v2 }));
    await until('v2 in responses', async () => (seen.get(versions.v2 as string) ?? 0) > 50);
    stop = true;
    await Promise.all(workers);
    assert.deepEqual(failures, []);
    assert.ok((seen.get(versions.v1 as string) ?? 0) > 0, 'v1 answered before the swap');
    const want = expectedIbu(tf, models.v2 as LayersModel, [{ abv: 6, target_og: 1060 }])[0] as number;
    const r = await post('/predict', { abv: 6, target_og: 1060 });
    assert.equal(r.body.model, versions.v2);
    assert.ok(Math.abs((r.body.ibu as number) - want) < 1e-3);
  });

  test('a broken model artifact leaves the old model serving', async () => {
    const bucket = server.config.buckets.models;
    const broken = tinyModel(tf, 3);
    const v3 = await publishModel(s3, bucket, broken, { champion: false });
    broken.dispose();
    // Truncated weights: the artifact no longer matches its manifest.
    await putObject(
      s3,
      bucket,
      `models/ibu/${v3}/weights.bin`,
      new Uint8Array(10),
      'application/octet-stream',
    );
    await modelRegistry(s3, bucket).promote(v3);
    await publisher.publish(MODEL_PROMOTED_CHANNEL, JSON.stringify({ version: v3 }));
    await sleep(1500);
    const r = await post('/predict', { abv: 6, target_og: 1060 });
    assert.equal(r.status, 200);
    assert.equal(r.body.model, versions.v2);
    assert.deepEqual((await get('/ready')).body, {
      status: 'ready',
      model: versions.v2,
      redis: 'up',
      s3: 'ok',
    });
  });
});
