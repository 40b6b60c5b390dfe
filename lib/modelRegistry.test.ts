// The registry's readers check each document against its schema: a valid one comes back as it was
// written, a broken one is refused with the object key and the first field at fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptObjectError } from './errors.js';
import { FEATURES, MODEL_FEATURES } from './features.js';
import { isRecord } from './guards.js';
import {
  championDocument,
  type ModelMetadata,
  metadataDocument,
  modelJsonDocument,
  registryKeys,
} from './modelRegistry.js';

const CHAMPION_KEY = registryKeys.champion;

const VERSION = '20261124T012345678Z-a1b2c3';
const KEY = `models/ibu/${VERSION}/metadata.json`;

function metadata(): ModelMetadata {
  const metrics = { mae: 10, mse: 144, rmse: 12, r2: 0.5 };
  const perFeature = { abv: 1, target_fg: 2, target_og: 3, ebc: 4, srm: 5, ph: 6 };
  return {
    version: VERSION,
    createdAt: '2026-11-24T01:23:45.678Z',
    dataset: {
      rows: 325,
      trainRows: 200,
      validationRows: 60,
      testRows: 65,
      objectKeys: ['cleaned/a.csv'],
      contentHash: 'abc',
    },
    features: [...FEATURES],
    preprocessing: {
      features: [...FEATURES],
      medians: { ...perFeature },
      logFeatures: ['abv', 'ebc', 'srm'],
      means: { ...perFeature },
      stds: { ...perFeature },
      target: { name: 'ibu', transform: 'log1p', mean: 3.6, std: 0.8, lo: 0, hi: 7 },
    },
    metrics: {
      model: metrics,
      baseline: { ...metrics, mae: 15 },
      champion: { ...metrics, mae: 11, version: '20261123T000000000Z-000000' },
    },
    history: [{ epoch: 1, loss: 1, val_loss: 1.5 }],
    bestEpoch: 1,
    parameters: { units: 16, activation: 'relu' },
    backend: 'cpu',
    trainingSeconds: 1.5,
    promoted: true,
    reason: 'promoted',
  };
}

/**
 * metadata.json as writeMetadata writes it, with the field at a JSON pointer set to `value`, or
 * removed when no value is given.
 */
function written(pointer?: string, value?: unknown): string {
  const doc: unknown = structuredClone(metadata());
  if (pointer !== undefined) {
    const path = pointer.split('/').slice(1);
    const field = path.pop() ?? '';
    let parent = doc;
    for (const part of path) {
      parent = Array.isArray(parent) ? parent[Number(part)] : isRecord(parent) ? parent[part] : undefined;
    }
    if (Array.isArray(parent)) parent[Number(field)] = value;
    else if (!isRecord(parent)) throw new Error(`the fixture has no ${pointer}`);
    else if (value === undefined) delete parent[field];
    else parent[field] = value;
  }
  return JSON.stringify(doc, null, 2);
}

function refused(read: () => unknown, message: string): void {
  assert.throws(read, (error) => {
    assert.ok(error instanceof CorruptObjectError, `a CorruptObjectError, got ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

describe('metadata.json', () => {
  it('reads back what the trainer wrote', () => {
    assert.deepEqual(metadataDocument.parse(written(), KEY), metadata());
  });

  it('reads a model trained without a champion, and keeps fields it does not know', () => {
    const withoutChampion = metadataDocument.parse(written('/metrics/champion'), KEY);
    assert.equal(withoutChampion.metrics.champion, undefined);
    const text = written('/notes', 'from a newer trainer');
    assert.deepEqual(metadataDocument.parse(text, KEY), JSON.parse(text));
  });

  it('reads a NaN metric, which JSON.stringify writes as null, instead of refusing the document', () => {
    const nan = { mae: Number.NaN, mse: Number.NaN, rmse: Number.NaN, r2: Number.NaN };
    const doc = metadata();
    const text = JSON.stringify({ ...doc, metrics: { ...doc.metrics, champion: { ...nan, version: 'v' } } });
    const read = metadataDocument.parse(text, KEY);
    assert.deepEqual(read.metrics.champion, { mae: null, mse: null, rmse: null, r2: null, version: 'v' });
    assert.deepEqual(read.metrics.model, doc.metrics.model);
  });

  it('reads both feature recipes: recipe 1 (no recipe field) and recipe 2 with its derived features', () => {
    const doc = metadata();
    assert.equal(metadataDocument.parse(written(), KEY).preprocessing.recipe, undefined);
    const derived = { og_points: 1, attenuation: 0.7, abv_per_og_point: 0.1 };
    const recipe2 = {
      ...doc.preprocessing,
      recipe: 2,
      features: ['abv', 'og_points', 'attenuation', 'abv_per_og_point', 'ebc', 'ph'],
      means: { ...doc.preprocessing.means, ...derived },
      stds: { ...doc.preprocessing.stds, ...derived },
    };
    const read = metadataDocument.parse(JSON.stringify({ ...doc, preprocessing: recipe2 }), KEY);
    assert.deepEqual(read.preprocessing, recipe2);
    refused(
      () => metadataDocument.parse(JSON.stringify({ ...doc, preprocessing: { ...recipe2, recipe: 3 } }), KEY),
      `${KEY}: /preprocessing/recipe: expected 2`,
    );
  });

  it('names the key and the field of a wrong type', () => {
    refused(
      () => metadataDocument.parse(written('/metrics/model/mae', '10'), KEY),
      `${KEY}: /metrics/model/mae: expected number or null`,
    );
    refused(
      () => metadataDocument.parse(written('/metrics/champion/version', 7), KEY),
      `${KEY}: /metrics/champion/version: expected string`,
    );
    refused(
      () => metadataDocument.parse(written('/history/0/loss', null), KEY),
      `${KEY}: /history/0/loss: expected number`,
    );
    refused(
      () => metadataDocument.parse(written('/parameters/seed', true), KEY),
      `${KEY}: /parameters/seed: expected number or string`,
    );
  });

  it('names a missing field', () => {
    refused(() => metadataDocument.parse(written('/dataset/rows'), KEY), `${KEY}: /dataset/rows: required`);
    refused(() => metadataDocument.parse(written('/preprocessing'), KEY), `${KEY}: /preprocessing: required`);
  });

  it('checks the preprocessing the server applies to every request', () => {
    refused(
      () => metadataDocument.parse(written('/preprocessing/medians/ph'), KEY),
      `${KEY}: /preprocessing/medians/ph: required`,
    );
    refused(
      () => metadataDocument.parse(written('/preprocessing/logFeatures/3', 'hops'), KEY),
      `${KEY}: /preprocessing/logFeatures/3: expected one of ${MODEL_FEATURES.map((f) => `"${f}"`).join(', ')}`,
    );
    refused(
      () => metadataDocument.parse(written('/preprocessing/target/transform', 'log'), KEY),
      `${KEY}: /preprocessing/target/transform: expected "log1p"`,
    );
  });

  it('refuses a document that is not JSON or not an object', () => {
    assert.throws(
      () => metadataDocument.parse('{"version":', KEY),
      (error) => {
        assert.ok(error instanceof CorruptObjectError);
        assert.match(error.message, new RegExp(`^${KEY}: not JSON \\(`));
        return true;
      },
    );
    refused(() => metadataDocument.parse('[]', KEY), `${KEY}: /: expected object`);
  });
});

describe('champion.json', () => {
  it('reads back what promote wrote', () => {
    const champion = { version: VERSION, promotedAt: '2026-11-24T01:23:45.678Z' };
    assert.deepEqual(championDocument.parse(JSON.stringify(champion), CHAMPION_KEY), champion);
  });

  it('names the field at fault', () => {
    refused(
      () => championDocument.parse('{"version":7,"promotedAt":"x"}', CHAMPION_KEY),
      'models/ibu/champion.json: /version: expected string',
    );
    refused(
      () => championDocument.parse(`{"version":"${VERSION}"}`, CHAMPION_KEY),
      'models/ibu/champion.json: /promotedAt: required',
    );
  });
});

describe('model.json', () => {
  const key = `models/ibu/${VERSION}/model.json`;
  const modelJson = {
    modelTopology: { class_name: 'Sequential', config: { name: 'sequential_1', layers: [] } },
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    weightsManifest: [
      { paths: ['weights.bin'], weights: [{ name: 'dense/kernel', shape: [6, 8], dtype: 'float32' }] },
    ],
  };

  it('reads the topology and the weights manifest', () => {
    assert.deepEqual(modelJsonDocument.parse(JSON.stringify(modelJson), key), modelJson);
  });

  it('names a missing or malformed manifest', () => {
    const { weightsManifest: _, ...withoutManifest } = modelJson;
    refused(
      () => modelJsonDocument.parse(JSON.stringify(withoutManifest), key),
      `${key}: /weightsManifest: required`,
    );
    const badShape = structuredClone(modelJson);
    Object.assign(badShape.weightsManifest[0]?.weights[0] ?? {}, { shape: '6x8' });
    refused(
      () => modelJsonDocument.parse(JSON.stringify(badShape), key),
      `${key}: /weightsManifest/0/weights/0/shape: expected array`,
    );
  });
});

describe('registry keys', () => {
  it('lays out every file of a version under its folder, and reads the version back from its metadata key', () => {
    assert.equal(registryKeys.file(VERSION, 'metadata.json'), KEY);
    assert.equal(registryKeys.versionOfMetadata(KEY), VERSION);
    assert.equal(registryKeys.versionOfMetadata(registryKeys.file(VERSION, 'model.json')), undefined);
    assert.equal(registryKeys.versionOfMetadata(registryKeys.champion), undefined);
    assert.equal(registryKeys.champion, 'models/ibu/champion.json');
    assert.equal(registryKeys.lastTrained, 'models/ibu/last-trained.json');
  });
});
