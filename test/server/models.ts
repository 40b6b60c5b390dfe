// Writes test models into the registry (lib/modelRegistry): a tiny seeded tfjs network saved
// through the trainer's own S3 save handler, with metadata carrying a fixed preprocessing.
import type { S3Client } from '@aws-sdk/client-s3';
import type { LayersModel } from '@tensorflow/tfjs';
import {
  FEATURES,
  type FeatureInput,
  modelToTarget,
  type Preprocessing,
  toFeatureMatrix,
} from '../../lib/features.js';
import { type ModelMetadata, modelRegistry, newVersion } from '../../lib/modelRegistry.js';
import type { Tf } from '../../lib/tfjs.js';
import { sleep } from '../support/wait.js';

export const PREPROCESSING: Preprocessing = {
  features: [...FEATURES],
  medians: { abv: 6, target_fg: 1012, target_og: 1060, ebc: 20, srm: 10, ph: 4.4 },
  logFeatures: ['abv', 'ebc', 'srm'],
  means: { abv: 1.9, target_fg: 1013, target_og: 1065, ebc: 3.2, srm: 2.5, ph: 4.4 },
  stds: { abv: 0.4, target_fg: 8, target_og: 20, ebc: 1, srm: 1, ph: 0.5 },
  target: { name: 'ibu', transform: 'log1p', mean: 3.6, std: 0.8, lo: 0, hi: 7 },
};

export function tinyModel(tf: Tf, seed: number): LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      units: 8,
      activation: 'relu',
      inputShape: [FEATURES.length],
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      biasInitializer: tf.initializers.constant({ value: 0.1 }),
    }),
  );
  model.add(
    tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
  );
  return model;
}

/** A recipe-2 preprocessing (lib/features.ts): the fixed inputs and the gravity-derived features. */
export const PREPROCESSING_2: Preprocessing = {
  recipe: 2,
  features: ['abv', 'og_points', 'attenuation', 'abv_per_og_point', 'ebc', 'ph'],
  medians: { abv: 6, target_fg: 1012, target_og: 1060, ebc: 20, srm: 10, ph: 4.4 },
  logFeatures: ['abv', 'ebc', 'og_points'],
  means: {
    abv: 1.9,
    target_fg: 0,
    target_og: 0,
    ebc: 3.2,
    srm: 0,
    ph: 4.4,
    og_points: 4,
    attenuation: 0.75,
    abv_per_og_point: 0.1,
  },
  stds: {
    abv: 0.4,
    target_fg: 1,
    target_og: 1,
    ebc: 1,
    srm: 1,
    ph: 0.5,
    og_points: 0.4,
    attenuation: 0.1,
    abv_per_og_point: 0.02,
  },
  target: { name: 'ibu', transform: 'log1p', mean: 3.6, std: 0.8, lo: 0, hi: 7 },
};

export function metadataFor(
  version: string,
  promoted: boolean,
  preprocessing: Preprocessing = PREPROCESSING,
): ModelMetadata {
  const metrics = { mae: 10, mse: 144, rmse: 12, r2: 0.5 };
  return {
    version,
    createdAt: new Date().toISOString(),
    dataset: {
      rows: 325,
      trainRows: 200,
      validationRows: 60,
      testRows: 65,
      objectKeys: [],
      contentHash: 'x',
    },
    features: [...preprocessing.features],
    preprocessing,
    metrics: { model: metrics, baseline: { ...metrics, mae: 15 } },
    history: [{ epoch: 1, loss: 1, val_loss: 1 }],
    bestEpoch: 1,
    parameters: {},
    backend: 'test',
    trainingSeconds: 0,
    promoted,
    reason: 'test model',
  };
}

/** What a test version registers as its two plots. */
export const TEST_PLOTS = { curves: '<svg/>', predictedVsActual: '<svg/>' };

/** Saves a model under a fresh version; makes it the champion unless told not to. */
export async function publishModel(
  s3: S3Client,
  bucket: string,
  model: LayersModel,
  options: { champion?: boolean; metadata?: (version: string) => ModelMetadata } = {},
): Promise<string> {
  // Versions carry millisecond timestamps; keep two test models from sharing one.
  await sleep(2);
  const version = newVersion();
  const metadata = options.metadata?.(version) ?? metadataFor(version, options.champion !== false);
  const registry = modelRegistry(s3, bucket);
  await registry.saveVersion({ model, metadata, plots: TEST_PLOTS });
  if (options.champion !== false) await registry.promote(version);
  return version;
}

/** The model's own output for raw feature rows, with the training preprocessing applied. */
export function expectedIbu(tf: Tf, model: LayersModel, rows: FeatureInput[]): number[] {
  const matrix = toFeatureMatrix(rows, PREPROCESSING);
  const y = tf.tidy(() =>
    Array.from(
      (
        model.predict(tf.tensor2d(matrix, [rows.length, FEATURES.length])) as ReturnType<Tf['tensor2d']>
      ).dataSync(),
    ),
  );
  return y.map((v) => modelToTarget(v, PREPROCESSING));
}
