// GET /metrics/predictions and /metrics/stream on a real server: the prediction counts are the
// requests this test made; the stream metrics are what a processor's publisher wrote to Redis.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LayersModel } from '@tensorflow/tfjs';
import { streamMetrics } from '../../consumers/metrics/streamMetrics.js';
import { s3Client } from '../../lib/aws.js';
import { capturingLogger } from '../support/capture.js';
import { startServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';
import { publishModel, tinyModel } from './models.js';

let server: TestServer;
let s3: S3Client;
let model: LayersModel;

before(async () => {
  server = await startServer({ env: { CHAMPION_POLL_MS: '300' } });
  s3 = s3Client(server.config);
  model = tinyModel(server.tf, 3);
  const version = await publishModel(s3, server.config.buckets.models, model);
  await until('the model served', async () => (await json('/ready')).body.model === version);
});

after(async () => {
  model?.dispose();
  s3?.destroy();
  await server?.close();
});

const json = async (path: string, init?: RequestInit) => {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json' },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

test('prediction requests, predictions and failures are counted in the current minute', async () => {
  const beer = { abv: 5, target_og: 1050 };
  for (let i = 0; i < 3; i += 1)
    assert.equal((await json('/predict', { method: 'POST', body: JSON.stringify(beer) })).status, 200);
  const batch = await json('/predict/batch', {
    method: 'POST',
    body: JSON.stringify({ instances: [beer, beer, beer, beer] }),
  });
  assert.equal(batch.status, 200);
  assert.equal((await json('/predict', { method: 'POST', body: JSON.stringify({ abv: 5 }) })).status, 400);
  await json('/models'); // not a prediction: not counted

  const { status, body } = await json('/metrics/predictions');
  assert.equal(status, 200);
  const perMinute = body.perMinute as Array<{ requests: number; predictions: number; errors: number }>;
  assert.equal(perMinute.length, 60);
  const total = (field: 'requests' | 'predictions' | 'errors') => perMinute.reduce((n, m) => n + m[field], 0);
  assert.deepEqual([total('requests'), total('predictions'), total('errors')], [5, 7, 1]);
  const latency = body.latencyMs as { samples: number; p50: number; p99: number };
  assert.equal(latency.samples, 4);
  assert.ok(latency.p50 > 0 && latency.p50 <= latency.p99);
  assert.equal(body.lastVersion, body.serving);
});

test('stream metrics are what the processors published, per consumer and shard', async () => {
  assert.deepEqual((await json('/metrics/stream')).body, { cleaned: [], raw: [] });
  const metrics = streamMetrics(server.config, 'raw', capturingLogger().logger);
  const wrapped = metrics.processor({
    initialize: (_input, done) => done(),
    processRecords: (_input, done) => done(),
    leaseLost: (_input, done) => done(),
    shardEnded: (_input, done) => done(),
    shutdownRequested: (_input, done) => done(),
  });
  wrapped.initialize({ shardId: 'shardId-000000000007' }, () => {});
  const record = { data: '', partitionKey: 'k', sequenceNumber: '1' };
  wrapped.processRecords(
    { records: [record, record], millisBehindLatest: 250, checkpointer: { checkpoint: () => {} } },
    () => {},
  );
  await metrics.close();
  const { body } = await json('/metrics/stream');
  assert.deepEqual(body.cleaned, []);
  const [shard] = body.raw as Array<Record<string, unknown>>;
  assert.equal(shard?.shardId, 'shardId-000000000007');
  assert.equal(shard?.records, 2);
  assert.equal(shard?.lagMs, 250);
});
