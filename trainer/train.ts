// One retraining, top-down: load the cleaned table, split and preprocess it, train the tfjs model
// and the linear baseline, evaluate them and the current champion on the same test split, decide
// (trainer/promotion.ts), and register the new version, promoting it if the decision says so.
// S3 and Redis are touched only by the loading steps and registerVersion; the rule itself is
// pure. Shared by the BullMQ worker and `brewstream train`.
import type { S3Client } from '@aws-sdk/client-s3';
import type * as TF from '@tensorflow/tfjs';
import type { Redis } from 'ioredis';
import type { CleanedRow } from '../lib/beer.js';
import { type CleanedTable, loadAndCompact } from '../lib/cleanedTable.js';
import type { Config } from '../lib/config.js';
import { modelToTarget, type Preprocessing, toFeatureMatrix } from '../lib/features.js';
import type { Logger } from '../lib/logger.js';
import {
  loadModelFromS3,
  type ModelMetadata,
  newVersion,
  readChampion,
  readLastTrained,
  readMetadata,
  saveModel,
  writeChampion,
  writeLastTrained,
} from '../lib/modelRegistry.js';
import { MODEL_PROMOTED_CHANNEL } from '../lib/redis.js';
import { putObject } from '../lib/s3.js';
import { loadTf, type Tf } from '../lib/tfjs.js';
import { buildDataset, type Dataset } from './dataset.js';
import { fitLinear, type LinearModel, predictLinear } from './linear.js';
import { regressionMetrics } from './metrics.js';
import { predictRaw, type TrainResult, trainModel } from './model.js';
import { predictedVsActualSvg, trainingCurveSvg } from './plots.js';
import { decidePromotion, type PromotionDecision } from './promotion.js';
import { SKIPPED_NO_NEW_DATA, type SkippedTraining, shouldSkip } from './skip.js';

export interface TrainingContext {
  config: Config;
  s3: S3Client;
  /** For publishing promotions; optional for a dry CLI run. */
  redis?: Redis;
  logger: Logger;
  /** Train even when the table is the one the last version was trained on. */
  force?: boolean;
  onEpoch?: (progress: {
    epoch: number;
    maxEpochs: number;
    loss: number;
    val_loss: number;
  }) => void | Promise<void>;
}

export interface TrainingOutcome {
  version: string;
  promoted: boolean;
  reason: string;
  metrics: ModelMetadata['metrics'];
  rows: number;
  backend: string;
  trainingSeconds: number;
  plots: { curves: string; predictedVsActual: string };
}

export function predictIbu(tf: Tf, model: TF.LayersModel, rows: CleanedRow[], p: Preprocessing): number[] {
  const raw = predictRaw(tf, model, toFeatureMatrix(rows, p), p.features.length);
  return Array.from(raw, (y) => modelToTarget(y, p));
}

export async function runTraining(ctx: TrainingContext): Promise<TrainingOutcome | SkippedTraining> {
  const { config, s3, logger } = ctx;
  const started = performance.now();

  // The trainer keeps the table's snapshots current: it compacts what it reads before training.
  const { table, compaction } = await loadAndCompact(s3, config.buckets.cleaned);
  logger.info({ compaction, lineage: table.lineage, rows: table.rows.length }, 'cleaned table read');
  const last = await readLastTrained(s3, config.buckets.models);
  if (last && shouldSkip(table.contentHash, last.contentHash, ctx.force ?? false)) {
    logger.info(
      { contentHash: table.contentHash, lastTrainedVersion: last.version },
      `retrain ${SKIPPED_NO_NEW_DATA}: the table is the one ${last.version} was trained on`,
    );
    return {
      skipped: true,
      reason: SKIPPED_NO_NEW_DATA,
      rows: table.rows.length,
      contentHash: table.contentHash,
      lastTrainedVersion: last.version,
    };
  }
  const { tf, backend } = await loadTf(config.trainer.backend);
  const data = buildDataset(table.rows);
  logger.info(
    {
      backend,
      rows: table.rows.length,
      train: data.train.rows.length,
      validation: data.validation.rows.length,
      test: data.test.rows.length,
    },
    'training started',
  );
  const trained = await train(tf, data, config.trainer, ctx.onEpoch);
  // Read after training, so the comparison is with the champion of the moment.
  const champion = await loadChampion(tf, s3, config.buckets.models);
  const evaluation = evaluate(tf, data, trained, champion);
  champion?.model.dispose();
  const { metrics } = evaluation;
  const decision = decidePromotion(metrics.model, metrics.baseline, metrics.champion);

  const version = newVersion();
  const trainingSeconds = (performance.now() - started) / 1000;
  const metadata = versionMetadata({
    version,
    table,
    data,
    trained,
    metrics,
    decision,
    backend,
    trainingSeconds,
  });
  const plots = drawPlots(data, trained, evaluation);
  await registerVersion(ctx, trained.model, metadata, plots);

  const { promoted, reason } = metadata;
  logger.info({ version, promoted, reason, metrics, trainingSeconds }, 'training finished');
  return { version, promoted, reason, metrics, rows: table.rows.length, backend, trainingSeconds, plots };
}

interface Trained extends TrainResult {
  linear: LinearModel;
}

/** The tfjs model (early-stopped on the validation split) and the linear baseline, both on the training split. */
async function train(
  tf: Tf,
  data: Dataset,
  options: Pick<Config['trainer'], 'seed' | 'maxEpochs' | 'patience'>,
  onEpoch?: TrainingContext['onEpoch'],
): Promise<Trained> {
  const inputs = data.preprocessing.features.length;
  const result = await trainModel(tf, data.train, data.validation, inputs, {
    seed: options.seed,
    maxEpochs: options.maxEpochs,
    patience: options.patience,
    onEpoch: (epoch, loss, valLoss) =>
      onEpoch?.({ epoch, maxEpochs: options.maxEpochs, loss, val_loss: valLoss }),
  });
  return { ...result, linear: fitLinear(featureRows(data.train.x, inputs), data.train.ibu) };
}

interface Evaluation {
  metrics: ModelMetadata['metrics'];
  /** IBU on the test split, for the predicted-against-actual plot. */
  predictions: { model: number[]; baseline: number[] };
}

interface LoadedChampion {
  version: string;
  model: TF.LayersModel;
  preprocessing: Preprocessing;
}

/** The version champion.json names, with its own preprocessing; none if either file is missing. */
async function loadChampion(tf: Tf, s3: S3Client, bucket: string): Promise<LoadedChampion | undefined> {
  const champion = await readChampion(s3, bucket);
  if (!champion) return undefined;
  const metadata = await readMetadata(s3, bucket, champion.version);
  if (!metadata) return undefined;
  const model = await loadModelFromS3(tf, s3, bucket, champion.version);
  return { version: champion.version, model, preprocessing: metadata.preprocessing };
}

/**
 * Scores the new model, the baseline and the champion on this test split. The champion is
 * re-scored rather than trusted from its metadata, whose figures came from other data.
 */
function evaluate(tf: Tf, data: Dataset, trained: Trained, champion?: LoadedChampion): Evaluation {
  const inputs = data.preprocessing.features.length;
  const model = predictIbu(tf, trained.model, data.test.rows, data.preprocessing);
  const baseline = featureRows(data.test.x, inputs).map((row) => predictLinear(trained.linear, row));
  const metrics: ModelMetadata['metrics'] = {
    model: regressionMetrics(data.test.ibu, model),
    baseline: regressionMetrics(data.test.ibu, baseline),
  };
  if (champion) {
    const predictions = predictIbu(tf, champion.model, data.test.rows, champion.preprocessing);
    metrics.champion = { version: champion.version, ...regressionMetrics(data.test.ibu, predictions) };
  }
  return { metrics, predictions: { model, baseline } };
}

/** The metadata.json of a new version; its fields and their order are the registry's format. */
function versionMetadata(v: {
  version: string;
  table: CleanedTable;
  data: Dataset;
  trained: TrainResult;
  metrics: ModelMetadata['metrics'];
  decision: PromotionDecision;
  backend: string;
  trainingSeconds: number;
}): ModelMetadata {
  return {
    version: v.version,
    createdAt: new Date().toISOString(),
    dataset: {
      rows: v.table.rows.length,
      trainRows: v.data.train.rows.length,
      validationRows: v.data.validation.rows.length,
      testRows: v.data.test.rows.length,
      contentHash: v.table.contentHash,
      ...v.table.lineage,
    },
    features: v.data.preprocessing.features,
    preprocessing: v.data.preprocessing,
    metrics: v.metrics,
    history: v.trained.history,
    bestEpoch: v.trained.bestEpoch,
    parameters: v.trained.parameters,
    backend: v.backend,
    trainingSeconds: v.trainingSeconds,
    promoted: v.decision.promote,
    reason: v.decision.reason,
  };
}

function drawPlots(data: Dataset, trained: Trained, evaluation: Evaluation): TrainingOutcome['plots'] {
  return {
    curves: trainingCurveSvg(trained.history, trained.bestEpoch),
    predictedVsActual: predictedVsActualSvg(
      data.test.ibu,
      evaluation.predictions.model,
      evaluation.predictions.baseline,
    ),
  };
}

/**
 * Writes the version to the registry (artifact and metadata, then the two plots), disposing the
 * model once saved; then, if it was promoted, names it in champion.json and announces it. In that
 * order, so a server told of a champion finds its files.
 */
async function registerVersion(
  ctx: Pick<TrainingContext, 'config' | 's3' | 'redis' | 'logger'>,
  model: TF.LayersModel,
  metadata: ModelMetadata,
  plots: TrainingOutcome['plots'],
): Promise<void> {
  const { s3 } = ctx;
  const bucket = ctx.config.buckets.models;
  const { version } = metadata;
  await saveModel(s3, bucket, model, metadata);
  model.dispose();
  await writeLastTrained(s3, bucket, {
    version,
    contentHash: metadata.dataset.contentHash,
    trainedAt: metadata.createdAt,
  });
  await putObject(s3, bucket, `models/ibu/${version}/curves.svg`, plots.curves, 'image/svg+xml');
  await putObject(
    s3,
    bucket,
    `models/ibu/${version}/predicted-vs-actual.svg`,
    plots.predictedVsActual,
    'image/svg+xml',
  );
  if (metadata.promoted) {
    await writeChampion(s3, bucket, version);
    // A hint only (servers also poll champion.json): a Redis that is away must not fail, and so
    // retry, a training whose version is already registered and promoted.
    await ctx.redis?.publish(MODEL_PROMOTED_CHANNEL, JSON.stringify({ version })).catch((error: unknown) => {
      ctx.logger.warn(
        { err: error, version },
        'could not announce the promotion; servers will find it by polling',
      );
    });
  }
}

/** The rows of a row-major feature matrix, as the linear baseline takes them. */
const featureRows = (x: Float32Array, inputs: number) =>
  Array.from({ length: x.length / inputs }, (_, i) => Array.from(x.subarray(i * inputs, (i + 1) * inputs)));
