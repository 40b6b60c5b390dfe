// Writes test models into the S3 stand-in in the registry layout (DESIGN.md "Models"): a tiny
// tfjs Sequential model saved through a save handler, its metadata.json, and champion.json.
import type { S3Client } from '@aws-sdk/client-s3';
import type { LayersModel } from '@tensorflow/tfjs';
import { putObject } from '../../lib/s3.js';
import type { Tf } from '../../lib/tfjs.js';

export const FEATURES = ['abv', 'target_fg', 'target_og', 'ebc', 'srm', 'ph'];

export const PREPROCESSING = {
  medians: { abv: 6, target_fg: 1012, target_og: 1060, ebc: 20, srm: 10, ph: 4.4 },
  means: { abv: 7, target_fg: 1013, target_og: 1065, ebc: 50, srm: 25, ph: 4.4 },
  stds: { abv: 3, target_fg: 8, target_og: 20, ebc: 80, srm: 40, ph: 0.5 },
};

/** A small two-layer network with seeded weights scaled so outputs land in IBU territory. */
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
    tf.layers.dense({
      units: 1,
      kernelInitializer: tf.initializers.randomUniform({ minval: 5, maxval: 20, seed: seed + 1 }),
      biasInitializer: tf.initializers.constant({ value: 40 + seed }),
    }),
  );
  return model;
}

export async function publishModel(
  tf: Tf,
  s3: S3Client,
  bucket: string,
  version: string,
  model: LayersModel,
  options: { champion?: boolean; createdAt?: string } = {},
): Promise<void> {
  const base = `models/ibu/${version}/`;
  await model.save({
    save: async (artifacts) => {
      const weights = artifacts.weightData as ArrayBuffer;
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs }],
      };
      await putObject(s3, bucket, `${base}model.json`, JSON.stringify(modelJson), 'application/json');
      await putObject(s3, bucket, `${base}weights.bin`, new Uint8Array(weights), 'application/octet-stream');
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  });
  const metadata = {
    version,
    createdAt: options.createdAt ?? new Date().toISOString(),
    features: FEATURES,
    preprocessing: PREPROCESSING,
    metrics: { model: { mae: 10, rmse: 12, r2: 0.5 }, baseline: { mae: 15, rmse: 18, r2: 0.2 } },
    promotion: { promoted: options.champion !== false, reason: 'test model' },
  };
  await putObject(s3, bucket, `${base}metadata.json`, JSON.stringify(metadata), 'application/json');
  if (options.champion !== false) await setChampion(s3, bucket, version);
}

export async function setChampion(s3: S3Client, bucket: string, version: string): Promise<void> {
  await putObject(s3, bucket, 'models/ibu/champion.json', JSON.stringify({ version }), 'application/json');
}

/** The model's own output for raw feature rows, preprocessed as the metadata says. */
export function expectedIbu(
  tf: Tf,
  model: LayersModel,
  rows: Array<Record<string, number | undefined>>,
): number[] {
  const matrix = rows.map((row) =>
    FEATURES.map((f) => {
      const key = f as keyof typeof PREPROCESSING.means;
      const v = row[f] ?? PREPROCESSING.medians[key];
      return (v - PREPROCESSING.means[key]) / PREPROCESSING.stds[key];
    }),
  );
  return tf.tidy(() =>
    Array.from((model.predict(tf.tensor2d(matrix)) as ReturnType<Tf['tensor2d']>).dataSync()),
  );
}
