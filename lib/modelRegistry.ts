// The model registry in S3 (docs/design.md "Models"): tfjs artifacts through a custom IO handler (no
// file://), the metadata beside them, and champion.json naming the version being served. Used by
// the trainer (write) and the server (read).
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type * as TF from '@tensorflow/tfjs';
import { type Static, Type } from 'typebox';
import { documentReader } from './document.js';
import { preprocessingSchema } from './features.js';
import {
  getObjectBytes,
  getObjectText,
  getObjectTextIfExists,
  isAccessDenied,
  listObjects,
  putObject,
  S3AccessDeniedError,
} from './s3.js';
import type { Tf } from './tfjs.js';

export const MODELS_PREFIX = 'models/ibu/';
export const CHAMPION_KEY = `${MODELS_PREFIX}champion.json`;
const VERSION = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

// A NaN metric is written by JSON.stringify as null (a model that predicted NaN, or an older trainer);
// the reader takes it back as null rather than refusing the whole document.
const metric = Type.Union([Type.Number(), Type.Null()]);
const metricFields = { mae: metric, mse: metric, rmse: metric, r2: metric };
export const metricSetSchema = Type.Object(metricFields);
export type MetricSet = Static<typeof metricSetSchema>;

// Objects are open (extra fields pass): a document written by a newer trainer stays readable.
export const modelMetadataSchema = Type.Object({
  version: Type.String(),
  createdAt: Type.String(),
  dataset: Type.Object({
    rows: Type.Number(),
    trainRows: Type.Number(),
    validationRows: Type.Number(),
    testRows: Type.Number(),
    /** Every rows/ key read: written by versions before table snapshots, no longer. */
    objectKeys: Type.Optional(Type.Array(Type.String())),
    contentHash: Type.String(),
    /** Rows with an IBU left out of training and scoring (an IBU equal to the OG); from recipe 2. */
    excludedRows: Type.Optional(Type.Number()),
    /** Lineage (lib/cleanedTable.ts TableLineage): the snapshot and the objects read after it. */
    snapshot: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    snapshotObjects: Type.Optional(Type.Integer()),
    objectsAfter: Type.Optional(Type.Integer()),
    objectsAfterHash: Type.Optional(Type.String()),
  }),
  features: Type.Array(Type.String()),
  preprocessing: preprocessingSchema,
  metrics: Type.Object({
    model: metricSetSchema,
    baseline: metricSetSchema,
    champion: Type.Optional(Type.Object({ ...metricFields, version: Type.String() })),
    /** Every simple baseline on the same split (trainer/baselines.ts); `baseline` is the linear one. */
    baselines: Type.Optional(Type.Record(Type.String(), metricSetSchema)),
  }),
  /** The numbers the promotion decision used (trainer/promotion.ts). */
  promotion: Type.Optional(
    Type.Object({
      testRows: Type.Number(),
      candidateMae: metric,
      bestBaseline: Type.Union([Type.Object({ name: Type.String(), mae: Type.Number() }), Type.Null()]),
      baselineMaes: Type.Record(Type.String(), metric),
      champion: Type.Union([
        Type.Object({
          version: Type.String(),
          mae: metric,
          diffCi95: Type.Union([Type.Tuple([Type.Number(), Type.Number()]), Type.Null()]),
        }),
        Type.Null(),
      ]),
      resamples: Type.Number(),
    }),
  ),
  history: Type.Array(Type.Object({ epoch: Type.Number(), loss: Type.Number(), val_loss: Type.Number() })),
  bestEpoch: Type.Number(),
  parameters: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
  backend: Type.String(),
  trainingSeconds: Type.Number(),
  promoted: Type.Boolean(),
  reason: Type.String(),
});
export type ModelMetadata = Static<typeof modelMetadataSchema>;

export const championSchema = Type.Object({ version: Type.String(), promotedAt: Type.String() });
export type Champion = Static<typeof championSchema>;

export const LAST_TRAINED_KEY = `${MODELS_PREFIX}last-trained.json`;
/** The table content hash the last registered version was trained on (a retrain skips the same). */
export const lastTrainedSchema = Type.Object({
  version: Type.String(),
  contentHash: Type.String(),
  trainedAt: Type.String(),
  /** The feature recipe (lib/features RECIPE) it was trained with; absent: recipe 1. */
  recipe: Type.Optional(Type.Integer()),
});
export type LastTrained = Static<typeof lastTrainedSchema>;

// The parts of model.json that loadModelFromS3 hands to tfjs; tfjs checks the topology itself.
const modelJsonSchema = Type.Object({
  modelTopology: Type.Object({}),
  format: Type.Optional(Type.String()),
  weightsManifest: Type.Array(
    Type.Object({
      paths: Type.Optional(Type.Array(Type.String())),
      weights: Type.Array(
        Type.Object({
          name: Type.String(),
          shape: Type.Array(Type.Number()),
          dtype: Type.Enum(['float32', 'int32', 'bool', 'string', 'complex64']),
        }),
      ),
    }),
  ),
});

/** Parse and check each document the registry reads; exported for the readers' own tests. */
export const metadataDocument = documentReader(modelMetadataSchema);
export const championDocument = documentReader(championSchema);
export const modelJsonDocument = documentReader(modelJsonSchema);
export const lastTrainedDocument = documentReader(lastTrainedSchema);

/** Sortable by creation time: UTC timestamp to the millisecond, then a short random suffix. */
export function newVersion(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:.]/g, '')
    .replace(/(\d{6})(\d{3})Z$/, '$1$2Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export const isVersion = (value: string) => VERSION.test(value);
const key = (version: string, file: string) => `${MODELS_PREFIX}${version}/${file}`;

export async function saveModel(
  s3: S3Client,
  bucket: string,
  model: TF.LayersModel,
  metadata: ModelMetadata,
): Promise<void> {
  const { version } = metadata;
  await model.save({
    save: async (artifacts) => {
      const weights = artifacts.weightData;
      const bytes = new Uint8Array(Array.isArray(weights) ? concat(weights) : (weights as ArrayBuffer));
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await putObject(s3, bucket, key(version, 'weights.bin'), bytes, 'application/octet-stream');
      await putObject(s3, bucket, key(version, 'model.json'), JSON.stringify(modelJson), 'application/json');
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: bytes.byteLength,
        },
      };
    },
  });
  await writeMetadata(s3, bucket, metadata);
}

export const writeMetadata = (s3: S3Client, bucket: string, metadata: ModelMetadata) =>
  putObject(
    s3,
    bucket,
    key(metadata.version, 'metadata.json'),
    JSON.stringify(metadata, null, 2),
    'application/json',
  );

export async function loadModelFromS3(
  tf: Tf,
  s3: S3Client,
  bucket: string,
  version: string,
): Promise<TF.LayersModel> {
  const modelJsonKey = key(version, 'model.json');
  const modelJson = modelJsonDocument.parse(await getObjectText(s3, bucket, modelJsonKey), modelJsonKey);
  const manifest = modelJson.weightsManifest[0];
  if (!manifest) throw new Error(`${modelJsonKey}: no weights manifest`);
  const weightBytes = await getObjectBytes(s3, bucket, key(version, manifest.paths?.[0] ?? 'weights.bin'));
  const weightData = weightBytes.buffer.slice(
    weightBytes.byteOffset,
    weightBytes.byteOffset + weightBytes.byteLength,
  ) as ArrayBuffer;
  return tf.loadLayersModel({
    load: async () => ({
      modelTopology: modelJson.modelTopology,
      weightSpecs: manifest.weights,
      weightData,
      format: modelJson.format,
    }),
  });
}

export async function readMetadata(
  s3: S3Client,
  bucket: string,
  version: string,
): Promise<ModelMetadata | undefined> {
  const metadataKey = key(version, 'metadata.json');
  const text = await getObjectTextIfExists(s3, bucket, metadataKey);
  return text === undefined ? undefined : metadataDocument.parse(text, metadataKey);
}

/**
 * The champion, or undefined when champion.json does not exist (404: no model promoted yet). A 403
 * is never read as "no champion": it throws S3AccessDeniedError, whose message says why (a
 * missing key answers 403 to a role without s3:ListBucket), so the server stays not-ready and the
 * trainer's job fails, both naming the cause, instead of acting on an empty registry.
 */
export async function readChampion(s3: S3Client, bucket: string): Promise<Champion | undefined> {
  let text: string | undefined;
  try {
    text = await getObjectTextIfExists(s3, bucket, CHAMPION_KEY);
  } catch (error) {
    if (isAccessDenied(error)) throw new S3AccessDeniedError(bucket, CHAMPION_KEY, error);
    throw error;
  }
  return text === undefined ? undefined : championDocument.parse(text, CHAMPION_KEY);
}

export const writeChampion = (s3: S3Client, bucket: string, version: string) =>
  putObject(
    s3,
    bucket,
    CHAMPION_KEY,
    JSON.stringify({ version, promotedAt: new Date().toISOString() }),
    'application/json',
  );

export async function readLastTrained(s3: S3Client, bucket: string): Promise<LastTrained | undefined> {
  const text = await getObjectTextIfExists(s3, bucket, LAST_TRAINED_KEY);
  return text === undefined ? undefined : lastTrainedDocument.parse(text, LAST_TRAINED_KEY);
}

export const writeLastTrained = (s3: S3Client, bucket: string, lastTrained: LastTrained) =>
  putObject(s3, bucket, LAST_TRAINED_KEY, JSON.stringify(lastTrained), 'application/json');

/** Every registered version's metadata, oldest first. */
export async function listModels(s3: S3Client, bucket: string): Promise<ModelMetadata[]> {
  const keys = (await listObjects(s3, bucket, MODELS_PREFIX))
    .map((o) => o.key)
    .filter((k) => k.endsWith('/metadata.json'));
  const versions = keys.map((k) => k.slice(MODELS_PREFIX.length, -'/metadata.json'.length)).sort();
  const all = await Promise.all(versions.map((version) => readMetadata(s3, bucket, version)));
  return all.filter((m): m is ModelMetadata => m !== undefined);
}

function concat(buffers: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}
