// Drift, recent predictions and the table's quality over HTTP (docs/design.md "Drift and data
// quality"): a champion whose metadata holds the reference of the 325 bundled beers; inputs drawn
// from those beers give a low PSI and no drift line; the same beers with ABV doubled cross the
// threshold and the server logs a warn line with `"drift": true`. GET /table/quality serves the
// summary the compaction stored with the snapshot.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import beers from 'punkapi-db' with { type: 'json' };
import { s3Client } from '../../lib/aws.js';
import { type CleanedRow, cleanBeer } from '../../lib/beer.js';
import { encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { rowsKey } from '../../lib/cleanedKeys.js';
import { loadAndCompact } from '../../lib/cleanedTable.js';
import { inputReference } from '../../lib/drift.js';
import { FEATURES } from '../../lib/features.js';
import { isRecord } from '../../lib/guards.js';
import { putObject } from '../../lib/s3.js';
import { loadTf } from '../../lib/tfjs.js';
import { startServer, type TestServer } from '../support/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { until } from '../support/wait.js';
import { metadataFor, publishModel, tinyModel } from './models.js';

let stack: TestStack;
let s3: S3Client;
let version: string;
const table: CleanedRow[] = beers.flatMap((beer) => {
  const cleaned = cleanBeer(beer);
  return cleaned.ok ? [cleaned.row] : [];
});

/** The beers' inputs as a request sends them, within the API's bounds (one pH of 79 is left out). */
const requests = table
  .filter((row) => row.abv !== null && row.target_og !== null && (row.ph === null || row.ph <= 14))
  .map((row) => ({
    abv: row.abv as number,
    target_og: row.target_og as number,
    target_fg: row.target_fg,
    ebc: row.ebc,
    srm: row.srm,
    ph: row.ph,
  }));

before(async () => {
  stack = await startTestStack({ stream: false });
  s3 = s3Client(stack.config);
  const { tf } = await loadTf('cpu');
  const model = tinyModel(tf, 5);
  version = await publishModel(s3, stack.config.buckets.models, model, {
    metadata: (v) => ({ ...metadataFor(v, true), reference: inputReference(table, FEATURES) }),
  });
  model.dispose();
});

after(async () => {
  s3.destroy();
  await stack.close();
});

async function serve(): Promise<TestServer> {
  return startServer({
    stack,
    backend: 'cpu',
    capture: true,
    readyWithinMs: 30_000,
    env: { DRIFT_CHECK_MS: '100', DRIFT_MIN_ROWS: '100', INFERENCE_LOG_FLUSH_MS: '3600000' },
  });
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  const body: unknown = await response.json();
  assert.ok(isRecord(body));
  return { status: response.status, body };
}

async function predictAll(url: string, instances: object[]): Promise<void> {
  for (let i = 0; i < instances.length; i += 200) {
    const response = await fetch(`${url}/predict/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: instances.slice(i, i + 200) }),
    });
    assert.equal(response.status, 200, await response.text());
  }
}

type Feature = { feature: string; psi: number | null; drift: boolean };
const featuresOf = (body: Record<string, unknown>) => body.features as Feature[];

describe('GET /models/champion/drift', () => {
  test('no rows yet: psi null; the training inputs: low psi, no drift line', async () => {
    const server = await serve();
    try {
      const empty = await get(`${server.url}/models/champion/drift`);
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body.window, { from: null, to: null, rows: 0 });
      assert.equal(empty.body.version, version);
      assert.equal(empty.body.threshold, 0.2);
      assert.equal(empty.body.drift, false);
      assert.deepEqual(
        featuresOf(empty.body).map((f) => [f.feature, f.psi]),
        FEATURES.map((f) => [f, null]),
      );

      await predictAll(server.url, requests);
      const { body } = await get(`${server.url}/models/champion/drift`);
      assert.equal((body.window as { rows: number }).rows, requests.length);
      assert.equal(body.drift, false);
      for (const f of featuresOf(body)) assert.ok((f.psi ?? 1) < 0.05, `${f.feature}: PSI ${f.psi}`);
      // Several checks have run over the window by now; none found drift.
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(server.lines.filter((l) => l.drift === true).length, 0);
    } finally {
      await server.close();
    }
  });

  test('ABV doubled: abv crosses the threshold, and a warn line says so', async () => {
    const server = await serve();
    try {
      await predictAll(
        server.url,
        requests.map((r) => ({ ...r, abv: Math.min(70, r.abv * 2) })),
      );
      const { body } = await get(`${server.url}/models/champion/drift`);
      assert.equal(body.drift, true);
      const abv = featuresOf(body).find((f) => f.feature === 'abv');
      assert.ok(abv?.drift && (abv.psi ?? 0) >= 0.2, JSON.stringify(abv));
      for (const f of featuresOf(body).filter((f) => f.feature !== 'abv'))
        assert.equal(f.drift, false, f.feature);
      await until('a drift line', async () => server.lines.some((l) => l.drift === true));
      const line = server.lines.find((l) => l.drift === true);
      assert.ok(line);
      assert.equal(line.level, 40);
      assert.equal(line.version, version);
      assert.deepEqual(
        (line.features as Feature[]).map((f) => f.feature),
        ['abv'],
      );
    } finally {
      await server.close();
    }
  });
});

describe('GET /predictions/recent', () => {
  test('the newest rows first, 20 by default, limit 1-200', async () => {
    const server = await serve();
    try {
      await predictAll(server.url, requests.slice(0, 30));
      const latest = await get(`${server.url}/predictions/recent?limit=3`);
      assert.equal(latest.status, 200);
      const rows = latest.body.predictions as Array<Record<string, unknown>>;
      assert.deepEqual(
        rows.map((r) => r.inputs),
        requests
          .slice(27, 30)
          .reverse()
          .map((r) => Object.fromEntries(Object.entries(r))),
      );
      assert.deepEqual(Object.keys(rows[0] ?? {}).sort(), [
        'band',
        'features',
        'ibu',
        'inputs',
        'latencyMs',
        'requestId',
        'time',
        'version',
      ]);
      const byDefault = await get(`${server.url}/predictions/recent`);
      assert.equal((byDefault.body.predictions as unknown[]).length, 20);
      for (const limit of ['0', '201', 'x']) {
        const refused = await get(`${server.url}/predictions/recent?limit=${limit}`);
        assert.equal(refused.status, 400, limit);
        assert.equal(refused.body.error, 'invalid_request');
      }
    } finally {
      await server.close();
    }
  });
});

describe('GET /table/quality', () => {
  test("before any snapshot: nothing; after a compaction: the snapshot's summary", async () => {
    const server = await serve();
    try {
      const none = await get(`${server.url}/table/quality`);
      assert.deepEqual(none.body, { snapshot: null, computedAt: null, rows: 0, columns: [], excluded: [] });
      const bucket = stack.config.buckets.cleaned;
      const dt = new Date().toISOString().slice(0, 10);
      await putObject(
        s3,
        bucket,
        rowsKey(dt, 'shardId-000000000000', '1'),
        encodeCleanedCsv(table),
        'text/csv',
      );
      await loadAndCompact(s3, bucket);
      const { body } = await get(`${server.url}/table/quality`);
      assert.equal(body.snapshot, '1');
      assert.equal(body.rows, 325);
      assert.ok(typeof body.computedAt === 'string');
      const columns = Object.fromEntries(
        (body.columns as Array<{ column: string; nulls: number; outOfRange: number }>).map((c) => [
          c.column,
          [c.nulls, c.outOfRange],
        ]),
      );
      // The bundled beers: one pH of 79 and two IBUs over 1000 (1085 and 1157, each its beer's OG)
      // are out of range; the nulls are counted from the data set here, not by the code under test.
      const nulls = (column: keyof CleanedRow) => table.filter((r) => r[column] === null).length;
      assert.deepEqual(columns.ph, [nulls('ph'), 1]);
      assert.deepEqual(columns.ibu, [nulls('ibu'), 2]);
      assert.deepEqual(columns.ebc, [nulls('ebc'), 0]);
      assert.deepEqual(body.excluded, [
        { reason: 'no_ibu', rows: nulls('ibu') },
        { reason: 'ibu_equals_og', rows: 2 },
      ]);
    } finally {
      await server.close();
    }
  });
});
