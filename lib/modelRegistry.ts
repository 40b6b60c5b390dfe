// The model registry in S3 (docs/design.md "Models"): one object owns its key layout and every read
// and write of it. tfjs artifacts go through a custom IO handler (no file://), the metadata and the
// plots beside them, champion.json names the version being served, last-trained.json what the last
// version was trained on. The trainer writes, the server reads; neither spells a key.
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type * as TF from '@tensorflow/tfjs';
import { type Static, Type } from 'typebox';
import { documentReader } from './document.js';
import { inputReferenceSchema } from './drift.js';
import { CorruptObjectError } from './errors.js';
import { preprocessingSchema } from './features.js';
import { getObjectBytes, getObjectText, getObjectTextIfExists, listObjects, putObject } from './s3.js';
import { tableQualitySchema } from './tableQuality.js';
import type { Tf } from './tfjs.js';

export const MODELS_PREFIX = 'models/ibu/';
const VERSION = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

/** The files of one version. */
export type VersionFile =
  | 'model.json'
  | 'weights.bin'
  | 'metadata.json'
  | 'curves.svg'
  | 'predicted-vs-actual.svg';

/** The registry's key layout, the one place it is spelled (IAM grants and tests read it too). */
export const registryKeys = {
  prefix: MODELS_PREFIX,
  champion: `${MODELS_PREFIX}champion.json`,
  lastTrained: `${MODELS_PREFIX}last-trained.json`,
  file: (version: string, file: VersionFile) => `${MODELS_PREFIX}${version}/${file}`,
  /** The version a `<version>/metadata.json` key belongs to; undefined for any other key. */
  versionOfMetadata(key: string): string | undefined {
    const match = /^models\/ibu\/([^/]+)\/metadata\.json$/.exec(key);
    return match?.[1];
  },
};

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
    /**
     * What the model was trained on (trainer/sample.ts): the whole table (sampled false) or one row
     * per recipe group for at most maxRows groups; groups counted in the table, null past maxRows.
     */
    trainingSet: Type.Optional(
      Type.Object({
        rows: Type.Integer(),
        maxRows: Type.Integer(),
        sampled: Type.Boolean(),
        groups: Type.Union([Type.Integer(), Type.Null()]),
      }),
    ),
    /** Lineage (lib/cleanedTable.ts TableLineage): the snapshot and the objects read after it. */
    snapshot: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    snapshotObjects: Type.Optional(Type.Integer()),
    objectsAfter: Type.Optional(Type.Integer()),
    objectsAfterHash: Type.Optional(Type.String()),
  }),
  features: Type.Array(Type.String()),
  preprocessing: preprocessingSchema,
  /** The training split's distribution of each input, for drift (lib/drift.ts); absent before it existed. */
  reference: Type.Optional(inputReferenceSchema),
  /** The data-quality summary of the table trained on (lib/tableQuality.ts); absent before it existed. */
  quality: Type.Optional(tableQualitySchema),
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
  /**
   * The candidate on its test split, from version 3 of the metadata: its MAE's 95% bootstrap
   * interval (recipe groups resampled, as the promotion does) and every test row's actual and
   * predicted IBU, for the operators' page's scatter plot. Older versions have none.
   */
  evaluation: Type.Optional(
    Type.Object({
      maeCi95: Type.Union([Type.Tuple([Type.Number(), Type.Number()]), Type.Null()]),
      test: Type.Object({ actual: Type.Array(Type.Number()), predicted: Type.Array(Type.Number()) }),
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

/** A version as registered: its trained network, its metadata and its two plots (SVG). */
export interface VersionToSave {
  model: TF.LayersModel;
  metadata: ModelMetadata;
  plots: { curves: string; predictedVsActual: string };
}

export interface LoadedVersion {
  model: TF.LayersModel;
  metadata: ModelMetadata;
}

export interface ModelRegistry {
  /**
   * Writes a version in full (weights, model.json, plots, then metadata.json, which makes it listed)
   * and then last-trained.json. It is not served until `promote` names it.
   */
  saveVersion(version: VersionToSave): Promise<void>;
  /** A version's network and metadata; a CorruptObjectError naming the key when one is missing or invalid. */
  loadVersion(tf: Tf, version: string): Promise<LoadedVersion>;
  /** A version's metadata; undefined when it has none (404). */
  metadata(version: string): Promise<ModelMetadata | undefined>;
  /**
   * The champion, or undefined when champion.json does not exist (404: no model promoted yet). A 403
   * is never read as "no champion": S3AccessDeniedError (lib/errors.ts) says why, so the server
   * stays not-ready and the trainer's job fails, both naming the cause.
   */
  champion(): Promise<Champion | undefined>;
  /** Names `version` in champion.json: servers swap to it. */
  promote(version: string, now?: Date): Promise<void>;
  lastTrained(): Promise<LastTrained | undefined>;
  /** Every registered version's metadata, oldest first. */
  list(): Promise<ModelMetadata[]>;
  /** Every registered version's name, oldest first: one LIST, no metadata read. */
  versions(): Promise<string[]>;
}

export function modelRegistry(s3: S3Client, bucket: string): ModelRegistry {
  const where = (key: string) => `s3://${bucket}/${key}`;
  const readDocument = async <T>(key: string, reader: { parse(text: string, name: string): T }) => {
    const text = await getObjectTextIfExists(s3, bucket, key);
    return text === undefined ? undefined : reader.parse(text, where(key));
  };
  const putJson = (key: string, value: unknown, indent?: number) =>
    putObject(s3, bucket, key, JSON.stringify(value, null, indent), 'application/json');

  const metadata = (version: string) =>
    readDocument(registryKeys.file(version, 'metadata.json'), metadataDocument);
  const versions = async () =>
    (await listObjects(s3, bucket, registryKeys.prefix))
      .map((o) => registryKeys.versionOfMetadata(o.key))
      .filter((v): v is string => v !== undefined)
      .sort();

  return {
    async saveVersion({ model, metadata: meta, plots }) {
      const { version } = meta;
      await model.save({
        save: async (artifacts) => {
          const weights = artifacts.weightData;
          const bytes = new Uint8Array(Array.isArray(weights) ? concat(weights) : (weights as ArrayBuffer));
          await putObject(
            s3,
            bucket,
            registryKeys.file(version, 'weights.bin'),
            bytes,
            'application/octet-stream',
          );
          await putJson(registryKeys.file(version, 'model.json'), {
            modelTopology: artifacts.modelTopology,
            format: artifacts.format,
            generatedBy: artifacts.generatedBy,
            convertedBy: artifacts.convertedBy,
            weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
          });
          return {
            modelArtifactsInfo: {
              dateSaved: new Date(),
              modelTopologyType: 'JSON',
              weightDataBytes: bytes.byteLength,
            },
          };
        },
      });
      const svg = (file: VersionFile, text: string) =>
        putObject(s3, bucket, registryKeys.file(version, file), text, 'image/svg+xml');
      await svg('curves.svg', plots.curves);
      await svg('predicted-vs-actual.svg', plots.predictedVsActual);
      await putJson(registryKeys.file(version, 'metadata.json'), meta, 2);
      await putJson(registryKeys.lastTrained, {
        version,
        contentHash: meta.dataset.contentHash,
        trainedAt: meta.createdAt,
        recipe: meta.preprocessing.recipe ?? 1,
      } satisfies LastTrained);
    },

    async loadVersion(tf, version) {
      const metadataKey = registryKeys.file(version, 'metadata.json');
      const meta = await metadata(version);
      if (!meta)
        throw new CorruptObjectError(where(metadataKey), 'missing: the version has no metadata.json');
      const modelJsonKey = registryKeys.file(version, 'model.json');
      const modelJson = modelJsonDocument.parse(
        await getObjectText(s3, bucket, modelJsonKey),
        where(modelJsonKey),
      );
      const manifest = modelJson.weightsManifest[0];
      if (!manifest) throw new CorruptObjectError(where(modelJsonKey), 'no weights manifest');
      const weightsKey = `${registryKeys.prefix}${version}/${manifest.paths?.[0] ?? 'weights.bin'}`;
      const weightBytes = await getObjectBytes(s3, bucket, weightsKey);
      const weightData = weightBytes.buffer.slice(
        weightBytes.byteOffset,
        weightBytes.byteOffset + weightBytes.byteLength,
      ) as ArrayBuffer;
      const model = await tf.loadLayersModel({
        load: async () => ({
          modelTopology: modelJson.modelTopology,
          weightSpecs: manifest.weights,
          weightData,
          format: modelJson.format,
        }),
      });
      return { model, metadata: meta };
    },

    metadata,

    champion: () => readDocument(registryKeys.champion, championDocument),

    promote: (version, now = new Date()) =>
      putJson(registryKeys.champion, { version, promotedAt: now.toISOString() } satisfies Champion),

    lastTrained: () => readDocument(registryKeys.lastTrained, lastTrainedDocument),

    async list() {
      const all = await Promise.all((await versions()).map(metadata));
      return all.filter((m): m is ModelMetadata => m !== undefined);
    },

    versions,
  };
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
