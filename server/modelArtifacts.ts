// Reads the model registry in S3 (DESIGN.md "Models"): champion.json, each version's
// metadata.json, and the tfjs artifacts loaded through an IO handler that reads S3 directly.
// TODO(trainer merge): replace with lib/modelRegistry.ts once it lands.
import type { S3Client } from '@aws-sdk/client-s3';
import type { LayersModel } from '@tensorflow/tfjs';
import { getObjectBytes, getObjectText, getObjectTextIfExists, listObjects } from '../lib/s3.js';
import type { Tf } from '../lib/tfjs.js';

export const MODELS_PREFIX = 'models/ibu/';
export const CHAMPION_KEY = `${MODELS_PREFIX}champion.json`;

export interface Preprocessing {
  medians: Record<string, number>;
  means: Record<string, number>;
  stds: Record<string, number>;
}

export interface ModelMetadata {
  version: string;
  features: string[];
  preprocessing: Preprocessing;
  [key: string]: unknown;
}

export async function readChampion(s3: S3Client, bucket: string): Promise<string | undefined> {
  const text = await getObjectTextIfExists(s3, bucket, CHAMPION_KEY);
  if (text === undefined) return undefined;
  const version = (JSON.parse(text) as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error(`${CHAMPION_KEY}: no version string`);
  return version;
}

export async function readMetadata(
  s3: S3Client,
  bucket: string,
  version: string,
): Promise<ModelMetadata | undefined> {
  const text = await getObjectTextIfExists(s3, bucket, `${MODELS_PREFIX}${version}/metadata.json`);
  return text === undefined ? undefined : (JSON.parse(text) as ModelMetadata);
}

export async function listModels(s3: S3Client, bucket: string): Promise<ModelMetadata[]> {
  const objects = await listObjects(s3, bucket, MODELS_PREFIX);
  const versions = objects
    .map((o) => o.key.slice(MODELS_PREFIX.length).split('/'))
    .filter((parts) => parts.length === 2 && parts[1] === 'metadata.json')
    .map((parts) => parts[0] as string);
  const all = await Promise.all(versions.map((v) => readMetadata(s3, bucket, v)));
  return all.filter((m): m is ModelMetadata => m !== undefined);
}

export async function loadModelFromS3(
  tf: Tf,
  s3: S3Client,
  bucket: string,
  version: string,
): Promise<LayersModel> {
  const base = `${MODELS_PREFIX}${version}/`;
  return tf.loadLayersModel({
    load: async () => {
      const modelJson = JSON.parse(await getObjectText(s3, bucket, `${base}model.json`));
      const weights = await getObjectBytes(s3, bucket, `${base}weights.bin`);
      return {
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest.flatMap((group: { weights: unknown[] }) => group.weights),
        weightData: weights.buffer.slice(
          weights.byteOffset,
          weights.byteOffset + weights.byteLength,
        ) as ArrayBuffer,
      };
    },
  });
}

/** Imputes missing values with the training medians, then standardises, in the training order. */
export function toFeatureMatrix(
  rows: ReadonlyArray<Record<string, number | null | undefined>>,
  metadata: Pick<ModelMetadata, 'features' | 'preprocessing'>,
): Float32Array {
  const { features, preprocessing } = metadata;
  const out = new Float32Array(rows.length * features.length);
  let i = 0;
  for (const row of rows) {
    for (const feature of features) {
      const raw = row[feature];
      const value = raw === null || raw === undefined ? (preprocessing.medians[feature] ?? 0) : raw;
      const std = preprocessing.stds[feature] || 1;
      out[i++] = (value - (preprocessing.means[feature] ?? 0)) / std;
    }
  }
  return out;
}
