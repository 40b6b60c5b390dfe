// The server serves a champion of either feature recipe (lib/features.ts): one trained before
// recipes existed (recipe 1: the six inputs as they are) exactly as it was trained, and a recipe-2
// one with the data fixes applied to each request (a swapped FG/OG pair). Also: a champion whose metadata records NaN
// metrics (written as null) is read and served. Real listener, real Redis, the S3 stand-in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LayersModel } from '@tensorflow/tfjs';
import { s3Client } from '../../lib/aws.js';
import type { Tf } from '../../lib/tfjs.js';
import { startServer, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { metadataFor, PREPROCESSING, PREPROCESSING_2, publishModel, tinyModel } from './models.js';

let server: TestServer;
let tf: Tf;
let s3: S3Client;
let base: string;
const models: LayersModel[] = [];

async function predict(body: Record<string, number | null>) {
  const response = await fetch(`${base}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { ibu?: number; model?: string };
  assert.equal(response.status, 200, JSON.stringify(json));
  return json;
}

async function serving(version: string): Promise<void> {
  await waitFor(
    `${version} to be served`,
    async () => ((await (await fetch(`${base}/ready`)).json()) as { model?: string | null }).model,
    (model) => model === version,
    20_000,
    50,
  );
}

/** The network's IBU for one row of already standardised inputs, the target transform undone by hand. */
function byHand(
  model: LayersModel,
  z: number[],
  target: { mean: number; std: number; lo: number; hi: number },
) {
  const y = tf.tidy(
    () => (model.predict(tf.tensor2d([z])) as ReturnType<Tf['tensor2d']>).dataSync()[0] as number,
  );
  return Math.expm1(Math.min(target.hi, Math.max(target.lo, y * target.std + target.mean)));
}

before(async () => {
  server = await startServer({ env: { CHAMPION_POLL_MS: '200', LOG_LEVEL: 'warn' } });
  ({ tf, url: base } = server);
  s3 = s3Client(server.config);
});

after(async () => {
  s3?.destroy();
  for (const model of models) model.dispose();
  await server?.close();
});

describe('feature recipes at prediction time', () => {
  test('a recipe-1 champion (old preprocessing) is served as trained: no fixes, its own six features', async () => {
    const model = tinyModel(tf, 11);
    models.push(model);
    const version = await publishModel(s3, server.config.buckets.models, model);
    await serving(version);
    // A swapped gravity pair reaches a recipe-1 model as it is.
    const row = { abv: 6, target_og: 1015, target_fg: 1060, ebc: 20, srm: 10, ph: 4.3 };
    const { means: m, stds: s } = PREPROCESSING;
    const z = [
      (Math.log1p(6) - m.abv) / s.abv,
      (1060 - m.target_fg) / s.target_fg,
      (1015 - m.target_og) / s.target_og,
      (Math.log1p(20) - m.ebc) / s.ebc,
      (Math.log1p(10) - m.srm) / s.srm,
      (4.3 - m.ph) / s.ph,
    ];
    const answer = await predict(row);
    assert.equal(answer.model, version);
    assert.ok(Math.abs((answer.ibu as number) - byHand(model, z, PREPROCESSING.target)) < 1e-3);
  });

  test('a recipe-2 champion gets the derived features, with the data fixes applied to the request', async () => {
    const model = tinyModel(tf, 12);
    models.push(model);
    const version = await publishModel(s3, server.config.buckets.models, model, {
      metadata: (v) => metadataFor(v, true, PREPROCESSING_2),
    });
    await serving(version);
    const fixed = { abv: 6, target_og: 1060, target_fg: 1015, ebc: 20, srm: 10, ph: 4.3 };
    const { means: m, stds: s } = PREPROCESSING_2;
    const z = [
      (Math.log1p(6) - m.abv) / s.abv,
      (Math.log1p(60) - (m.og_points as number)) / (s.og_points as number),
      (45 / 60 - (m.attenuation as number)) / (s.attenuation as number),
      (6 / 60 - (m.abv_per_og_point as number)) / (s.abv_per_og_point as number),
      (Math.log1p(20) - m.ebc) / s.ebc,
      (4.3 - m.ph) / s.ph,
    ];
    const answer = await predict(fixed);
    assert.equal(answer.model, version);
    assert.ok(Math.abs((answer.ibu as number) - byHand(model, z, PREPROCESSING_2.target)) < 1e-3);
    // The same beer with its gravities swapped is the same beer.
    assert.equal((await predict({ ...fixed, target_og: 1015, target_fg: 1060 })).ibu, answer.ibu);
    // (A pH outside [0, 14] never gets this far: the route refuses it, naming the field.)
  });

  test('a champion whose metadata records NaN metrics (null in JSON) is read and served', async () => {
    const model = tinyModel(tf, 13);
    models.push(model);
    const version = await publishModel(s3, server.config.buckets.models, model, {
      metadata: (v) => {
        const metadata = metadataFor(v, true, PREPROCESSING_2);
        const nan = { mae: Number.NaN, mse: Number.NaN, rmse: Number.NaN, r2: Number.NaN };
        return {
          ...metadata,
          metrics: { ...metadata.metrics, baseline: nan, champion: { version: 'x', ...nan } },
        };
      },
    });
    await serving(version);
    const listed = await fetch(`${base}/models`);
    assert.equal(listed.status, 200);
    const body = await listed.text();
    assert.ok(body.includes(version), 'the version is listed');
    assert.equal((await predict({ abv: 5, target_og: 1050 })).model, version);
  });
});
