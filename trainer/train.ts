// One retraining: load the cleaned table, split and preprocess, train the tfjs model and the linear
// baseline, score both and the current champion on the same test split, register the new version
// and promote it if trainer/promotion.ts says so. Shared by the BullMQ worker and `brewstream train`.
import type { S3Client } from '@aws-sdk/client-s3';
import type * as TF from '@tensorflow/tfjs';
import type { Redis } from 'ioredis';
import type { CleanedRow } from '../lib/beer.js';
import { loadCleanedTable } from '../lib/cleanedTable.js';
import type { Config } from '../lib/config.js';
import { modelToTarget, type Preprocessing, toFeatureMatrix } from '../lib/features.js';
import type { Logger } from '../lib/logger.js';
import {
  loadModelFromS3,
  type ModelMetadata,
  newVersion,
  readChampion,
  readMetadata,
  saveModel,
  writeChampion,
} from '../lib/modelRegistry.js';
import { MODEL_PROMOTED_CHANNEL } from '../lib/redis.js';
import { putObject } from '../lib/s3.js';
import { loadTf, type Tf } from '../lib/tfjs.js';
import { buildDataset } from './dataset.js';
import { fitLinear, predictLinear } from './linear.js';
import { regressionMetrics } from './metrics.js';
import { predictRaw, trainModel } from './model.js';
import { predictedVsActualSvg, trainingCurveSvg } from './plots.js';
import { decidePromotion } from './promotion.js';

export interface TrainingContext {
  config: Config;
  s3: S3Client;
  /** For publishing promotions; optional for a dry CLI run. */
  redis?: Redis;
  logger: Logger;
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

export async function runTraining(ctx: TrainingContext): Promise<TrainingOutcome> {
  const { config, s3, logger } = ctx;
  const started = performance.now();
  const { tf, backend } = await loadTf(config.trainer.backend);
  const table = await loadCleanedTable(s3, config.buckets.cleaned);
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

  const inputs = data.preprocessing.features.length;
  const trained = await trainModel(tf, data.train, data.validation, inputs, {
    seed: config.trainer.seed,
    maxEpochs: config.trainer.maxEpochs,
    patience: config.trainer.patience,
    onEpoch: (epoch, loss, valLoss) =>
      ctx.onEpoch?.({ epoch, maxEpochs: config.trainer.maxEpochs, loss, val_loss: valLoss }),
  });

  const toRows = (x: Float32Array) =>
    Array.from({ length: x.length / inputs }, (_, i) => Array.from(x.subarray(i * inputs, (i + 1) * inputs)));
  const linear = fitLinear(toRows(data.train.x), data.train.ibu);
  const modelPredictions = predictIbu(tf, trained.model, data.test.rows, data.preprocessing);
  const baselinePredictions = toRows(data.test.x).map((row) => predictLinear(linear, row));
  const metrics: ModelMetadata['metrics'] = {
    model: regressionMetrics(data.test.ibu, modelPredictions),
    baseline: regressionMetrics(data.test.ibu, baselinePredictions),
  };

  // The champion is re-scored on today's test split, with its own preprocessing.
  const champion = await readChampion(s3, config.buckets.models);
  if (champion) {
    const championMeta = await readMetadata(s3, config.buckets.models, champion.version);
    if (championMeta) {
      const championModel = await loadModelFromS3(tf, s3, config.buckets.models, champion.version);
      const predictions = predictIbu(tf, championModel, data.test.rows, championMeta.preprocessing);
      championModel.dispose();
      metrics.champion = { version: champion.version, ...regressionMetrics(data.test.ibu, predictions) };
    }
  }

  const { promote: promoted, reason } = decidePromotion(metrics.model, metrics.baseline, metrics.champion);

  const version = newVersion();
  const trainingSeconds = (performance.now() - started) / 1000;
  const metadata: ModelMetadata = {
    version,
    createdAt: new Date().toISOString(),
    dataset: {
      rows: table.rows.length,
      trainRows: data.train.rows.length,
      validationRows: data.validation.rows.length,
      testRows: data.test.rows.length,
      objectKeys: table.objectKeys,
      contentHash: table.contentHash,
    },
    features: data.preprocessing.features,
    preprocessing: data.preprocessing,
    metrics,
    history: trained.history,
    bestEpoch: trained.bestEpoch,
    parameters: trained.parameters,
    backend,
    trainingSeconds,
    promoted,
    reason,
  };
  await saveModel(s3, config.buckets.models, trained.model, metadata);
  trained.model.dispose();
  const plots = {
    curves: trainingCurveSvg(trained.history, trained.bestEpoch),
    predictedVsActual: predictedVsActualSvg(data.test.ibu, modelPredictions, baselinePredictions),
  };
  await putObject(
    s3,
    config.buckets.models,
    `models/ibu/${version}/curves.svg`,
    plots.curves,
    'image/svg+xml',
  );
  await putObject(
    s3,
    config.buckets.models,
    `models/ibu/${version}/predicted-vs-actual.svg`,
    plots.predictedVsActual,
    'image/svg+xml',
  );

  if (promoted) {
    await writeChampion(s3, config.buckets.models, version);
    await ctx.redis?.publish(MODEL_PROMOTED_CHANNEL, JSON.stringify({ version }));
  }
  logger.info({ version, promoted, reason, metrics, trainingSeconds }, 'training finished');
  return { version, promoted, reason, metrics, rows: table.rows.length, backend, trainingSeconds, plots };
}
