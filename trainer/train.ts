// One retraining, top-down: load the cleaned table, split and preprocess it, train the tfjs model
// and the simple baselines, evaluate them and the current champion on the same test split, decide
// (trainer/promotion.ts), and register the new version, promoting it if the decision says so.
// S3 and Redis are touched only by the loading steps and registerVersion; the rule itself is
// pure. Shared by the BullMQ worker and `brewstream train`.
import type { S3Client } from '@aws-sdk/client-s3';
import type * as TF from '@tensorflow/tfjs';
import type { Redis } from 'ioredis';
import { type FoldedTable, foldAndCompact } from '../lib/cleanedTable.js';
import type { Config } from '../lib/config.js';
import { CorruptObjectError, DataError } from '../lib/errors.js';
import { type Preprocessing, RECIPE } from '../lib/features.js';
import type { Logger } from '../lib/logger.js';
import { type ModelMetadata, type ModelRegistry, modelRegistry, newVersion } from '../lib/modelRegistry.js';
import { predictIbu } from '../lib/predict.js';
import { MODEL_PROMOTED_CHANNEL } from '../lib/redis.js';
import { loadTf, type Tf } from '../lib/tfjs.js';
import { versionStatistics } from '../lib/versionStatistics.js';
import { BASELINES, type Baselines, fitBaselines, predictBaselines } from './baselines.js';
import { bootstrapInterval, clustersOf, meanOf } from './bootstrap.js';
import { buildDataset, type Dataset } from './dataset.js';
import { regressionMetrics } from './metrics.js';
import { type TrainResult, trainModel } from './model.js';
import { predictedVsActualSvg, trainingCurveSvg } from './plots.js';
import { decidePromotion, type PromotionDecision, type PromotionNumbers } from './promotion.js';
import { type TrainingSample, trainingSampler } from './sample.js';
import { SKIPPED_NO_NEW_DATA, type SkippedTraining, shouldSkip } from './skip.js';
import { recipeGroup } from './split.js';

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
  /** The numbers the promotion decision used. */
  promotion: PromotionNumbers;
  rows: number;
  /** Rows of the training set (trainer/sample.ts) before the split: the table's, or TRAIN_MAX_ROWS at most. */
  trainingRows: number;
  backend: string;
  trainingSeconds: number;
  plots: { curves: string; predictedVsActual: string };
}

export async function runTraining(ctx: TrainingContext): Promise<TrainingOutcome | SkippedTraining> {
  const { config, s3, logger } = ctx;
  const registry = modelRegistry(s3, config.buckets.models);
  const started = performance.now();

  // The trainer keeps the table's snapshots current: it compacts what it reads, streaming it into
  // the bounded training set (trainer/sample.ts) rather than holding the table.
  const sampler = trainingSampler({
    maxRows: config.trainer.maxRows,
    halfLifeDays: config.trainer.recencyHalfLifeDays,
    seed: config.trainer.seed,
    now: new Date(),
  });
  const table = await foldAndCompact(s3, config.buckets.cleaned, (row, arrival) => sampler.add(row, arrival));
  const sample = sampler.result();
  const { compaction } = table;
  logger.info(
    {
      compaction,
      lineage: table.lineage,
      rows: table.rows,
      trainingRows: sample.rows.length,
      sampled: sample.sampled,
    },
    'cleaned table read',
  );
  const last = await registry.lastTrained();
  if (last && shouldSkip({ contentHash: table.contentHash, recipe: RECIPE }, last, ctx.force ?? false)) {
    logger.info(
      { contentHash: table.contentHash, lastTrainedVersion: last.version },
      `retrain ${SKIPPED_NO_NEW_DATA}: the table is the one ${last.version} was trained on`,
    );
    return {
      skipped: true,
      reason: SKIPPED_NO_NEW_DATA,
      rows: table.rows,
      contentHash: table.contentHash,
      lastTrainedVersion: last.version,
    };
  }
  const { tf, backend } = await loadTf(config.trainer.backend);
  const data = buildDataset(sample.rows);
  logger.info(
    {
      backend,
      rows: table.rows,
      trainingSet: sample.rows.length,
      train: data.train.rows.length,
      validation: data.validation.rows.length,
      test: data.test.rows.length,
      excluded: data.excluded + sample.excluded,
    },
    'training started',
  );
  const trained = await train(tf, data, config.trainer, ctx.onEpoch);
  // Read after training, so the comparison is with the champion of the moment.
  const champion = await loadChampion(tf, registry);
  const evaluation = evaluate(tf, data, trained, champion);
  champion?.model.dispose();
  const { metrics } = evaluation;
  const decision = decide(data, evaluation);

  const version = newVersion();
  const trainingSeconds = (performance.now() - started) / 1000;
  const metadata = versionMetadata({
    version,
    table,
    sample,
    maxRows: config.trainer.maxRows,
    data,
    trained,
    metrics,
    decision,
    backend,
    trainingSeconds,
    evaluation: testEvaluation(data, evaluation.predictions.model, decision.numbers.resamples),
  });
  const plots = drawPlots(data, trained, evaluation);
  await registerVersion(ctx, registry, { model: trained.model, metadata, plots });

  const { promoted, reason } = metadata;
  const promotion = decision.numbers;
  logger.info({ version, promoted, reason, metrics, promotion, trainingSeconds }, 'training finished');
  return {
    version,
    promoted,
    reason,
    metrics,
    promotion,
    rows: table.rows,
    trainingRows: sample.rows.length,
    backend,
    trainingSeconds,
    plots,
  };
}

interface Trained extends TrainResult {
  baselines: Baselines;
}

/**
 * The tfjs model (early-stopped on the validation split) and the simple baselines
 * (trainer/baselines.ts), all on the training split, with the model's defaults (trainer/model.ts).
 */
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
    target: data.preprocessing.target,
    onEpoch: (epoch, loss, valLoss, of) => onEpoch?.({ epoch, maxEpochs: of, loss, val_loss: valLoss }),
  });
  return { ...result, baselines: fitBaselines(data.train.rows, data.train.x, inputs) };
}

interface Evaluation {
  metrics: ModelMetadata['metrics'];
  /** IBU on the test split: the model, each baseline (the plot draws the linear one), the champion. */
  predictions: {
    model: number[];
    baseline: number[];
    baselines: Record<string, number[]>;
    champion?: number[];
  };
}

interface LoadedChampion {
  version: string;
  model: TF.LayersModel;
  preprocessing: Preprocessing;
}

/**
 * A champion that champion.json names but whose files are missing or unreadable: without its
 * preprocessing and network it cannot be scored, and skipping it would let any candidate replace
 * it unseen. The job fails at once (retrying reads the same objects) and says which version and why.
 */
export class ChampionUnreadableError extends DataError {}

/** The version champion.json names, with its own preprocessing (of whichever recipe); none if no champion. */
async function loadChampion(tf: Tf, registry: ModelRegistry): Promise<LoadedChampion | undefined> {
  const champion = await registry.champion();
  if (!champion) return undefined;
  try {
    const { model, metadata } = await registry.loadVersion(tf, champion.version);
    return { version: champion.version, model, preprocessing: metadata.preprocessing };
  } catch (error) {
    if (!(error instanceof CorruptObjectError)) throw error;
    throw new ChampionUnreadableError(
      `champion ${champion.version} cannot be compared (${error.message}); nothing is promoted until it is restored or champion.json names another version`,
    );
  }
}

/**
 * Scores the new model, the baseline and the champion on this test split. The champion is
 * re-scored rather than trusted from its metadata, whose figures came from other data.
 */
function evaluate(tf: Tf, data: Dataset, trained: Trained, champion?: LoadedChampion): Evaluation {
  const inputs = data.preprocessing.features.length;
  const model = Array.from(predictIbu(tf, trained.model, data.test.rows, data.preprocessing));
  const baselines = predictBaselines(trained.baselines, data.test.rows, data.test.x, inputs);
  const metrics: ModelMetadata['metrics'] = {
    model: regressionMetrics(data.test.ibu, model),
    baseline: regressionMetrics(data.test.ibu, baselines.linear),
    baselines: Object.fromEntries(BASELINES.map((b) => [b, regressionMetrics(data.test.ibu, baselines[b])])),
  };
  let championPredictions: number[] | undefined;
  if (champion) {
    championPredictions = Array.from(predictIbu(tf, champion.model, data.test.rows, champion.preprocessing));
    metrics.champion = {
      version: champion.version,
      ...regressionMetrics(data.test.ibu, championPredictions),
    };
  }
  return {
    metrics,
    predictions: { model, baseline: baselines.linear, baselines, champion: championPredictions },
  };
}

/** The promotion decision (trainer/promotion.ts) on the test split's absolute errors. */
function decide(data: Dataset, evaluation: Evaluation): PromotionDecision {
  const errors = (predicted: number[]) => predicted.map((p, i) => Math.abs(p - (data.test.ibu[i] as number)));
  const { predictions } = evaluation;
  const champion = evaluation.metrics.champion;
  return decidePromotion({
    candidate: errors(predictions.model),
    baselines: Object.fromEntries(Object.entries(predictions.baselines).map(([b, p]) => [b, errors(p)])),
    champion:
      champion && predictions.champion
        ? { version: champion.version, errors: errors(predictions.champion) }
        : undefined,
    groups: data.test.rows.map(recipeGroup),
  });
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * The candidate on the test split as the operators' page draws it: its MAE's 95% interval, with
 * recipe groups resampled as the promotion decision does, and each row's actual and predicted IBU
 * (to 0.01, which a plot cannot tell apart and which keeps metadata.json small).
 */
function testEvaluation(
  data: Dataset,
  predicted: number[],
  resamples: number,
): NonNullable<ModelMetadata['evaluation']> {
  const errors = predicted.map((p, i) => Math.abs(p - (data.test.ibu[i] as number)));
  const ci = bootstrapInterval(clustersOf(data.test.rows.map(recipeGroup)), (rows) => meanOf(errors, rows), {
    resamples,
  });
  return {
    maeCi95: ci.every(Number.isFinite) ? ci : null,
    test: { actual: data.test.ibu.map(round2), predicted: predicted.map(round2) },
  };
}

/** The metadata.json of a new version; its fields and their order are the registry's format. */
function versionMetadata(v: {
  version: string;
  table: FoldedTable;
  sample: TrainingSample;
  maxRows: number;
  data: Dataset;
  trained: TrainResult;
  metrics: ModelMetadata['metrics'];
  decision: PromotionDecision;
  backend: string;
  trainingSeconds: number;
  evaluation: NonNullable<ModelMetadata['evaluation']>;
}): ModelMetadata {
  return {
    version: v.version,
    createdAt: new Date().toISOString(),
    dataset: {
      rows: v.table.rows,
      trainRows: v.data.train.rows.length,
      validationRows: v.data.validation.rows.length,
      testRows: v.data.test.rows.length,
      contentHash: v.table.contentHash,
      excludedRows: v.data.excluded + v.sample.excluded,
      trainingSet: {
        rows: v.sample.rows.length,
        maxRows: v.maxRows,
        sampled: v.sample.sampled,
        groups: v.sample.groups,
      },
      ...v.table.lineage,
    },
    features: v.data.preprocessing.features,
    preprocessing: v.data.preprocessing,
    // Over the training set: the table is streamed, never held (equal to the table under TRAIN_MAX_ROWS).
    ...versionStatistics(v.data.train.rows, v.sample.rows),
    metrics: v.metrics,
    evaluation: v.evaluation,
    history: v.trained.history,
    bestEpoch: v.trained.bestEpoch,
    parameters: v.trained.parameters,
    backend: v.backend,
    trainingSeconds: v.trainingSeconds,
    promoted: v.decision.promote,
    reason: v.decision.reason,
    promotion: v.decision.numbers,
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
 * Writes the version to the registry in full, disposing the model once saved; then, if it was
 * promoted, names it in champion.json and announces it. In that order, so a server told of a
 * champion finds its files.
 */
async function registerVersion(
  ctx: Pick<TrainingContext, 'redis' | 'logger'>,
  registry: ModelRegistry,
  version: { model: TF.LayersModel; metadata: ModelMetadata; plots: TrainingOutcome['plots'] },
): Promise<void> {
  await registry.saveVersion(version);
  version.model.dispose();
  const { version: name, promoted } = version.metadata;
  if (!promoted) return;
  await registry.promote(name);
  // A hint only (servers also poll champion.json): a Redis that is away must not fail, and so
  // retry, a training whose version is already registered and promoted.
  await ctx.redis
    ?.publish(MODEL_PROMOTED_CHANNEL, JSON.stringify({ version: name }))
    .catch((error: unknown) => {
      ctx.logger.warn(
        { err: error, version: name },
        'could not announce the promotion; servers will find it by polling',
      );
    });
}
