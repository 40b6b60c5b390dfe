// Cross-validation for the quality figures of `npm run bench -- trainer`.
// - crossValidate: k folds by id hash (the original figures; copies of a recipe can sit on both
//   sides, so it flatters every model);
// - crossValidateGrouped: k folds by recipe group (folds.ts), repeated for several
//   seeds of the fold assignment, with the baselines (trainer/baselines.ts) fitted and scored on
//   the same folds, so every comparison is paired.
import type { CleanedRow } from '../../lib/beer.js';
import { predictIbu } from '../../lib/predict.js';
import type { Tf } from '../../lib/tfjs.js';
import { BASELINES, type BaselineName, fitBaselines, predictBaselines } from '../../trainer/baselines.js';
import { buildDataset, type Dataset } from '../../trainer/dataset.js';
import { type Metrics, regressionMetrics } from '../../trainer/metrics.js';
import { type TrainOptions, trainModel } from '../../trainer/model.js';
import { idBucket, recipeKey, type Split } from '../../trainer/split.js';
import { foldOf, groupedSplitOf } from './folds.js';

export interface CrossValidation {
  model: Metrics;
  linear: Metrics;
  folds: number;
}

type CvOptions = Omit<TrainOptions, 'onEpoch'> & { folds: number };

interface FoldPredictions {
  rows: CleanedRow[];
  actual: number[];
  model: number[];
  baselines: Record<BaselineName, number[]>;
}

async function runFold(tf: Tf, data: Dataset, options: TrainOptions): Promise<FoldPredictions> {
  const inputs = data.preprocessing.features.length;
  const trained = await trainModel(tf, data.train, data.validation, inputs, options);
  const model = Array.from(predictIbu(tf, trained.model, data.test.rows, data.preprocessing));
  trained.model.dispose();
  const baselines = fitBaselines(data.train.rows, data.train.x, inputs);
  return {
    rows: data.test.rows,
    actual: data.test.ibu,
    model,
    baselines: predictBaselines(baselines, data.test.rows, data.test.x, inputs),
  };
}

/** k folds by id hash: the original benchmark figures. */
export async function crossValidate(
  tf: Tf,
  rows: CleanedRow[],
  options: CvOptions,
): Promise<CrossValidation> {
  const actual: number[] = [];
  const model: number[] = [];
  const linear: number[] = [];
  for (let fold = 0; fold < options.folds; fold += 1) {
    const data = buildDataset(rows, (row) =>
      foldOf(row.id, options.folds) === fold ? 'test' : idBucket(row.id) % 8 === 0 ? 'validation' : 'train',
    );
    const out = await runFold(tf, data, options);
    actual.push(...out.actual);
    model.push(...out.model);
    linear.push(...out.baselines.linear);
  }
  return {
    model: regressionMetrics(actual, model),
    linear: regressionMetrics(actual, linear),
    folds: options.folds,
  };
}

export interface GroupedCrossValidation {
  /** The scored rows (trustworthy targets), in a fixed order shared by every array below. */
  rows: CleanedRow[];
  actual: number[];
  /** Recipe group of each row: the bootstrap's resampling unit. */
  groups: string[];
  /** Out-of-fold predictions, one array per fold-assignment seed, aligned with `rows`. */
  predictions: Record<'model' | BaselineName, number[][]>;
  /** Rows left out of training and scoring (lib/features hasSuspectTarget). */
  excluded: number;
  folds: number;
  seeds: number[];
}

/** Grouped k-fold cross-validation, once per seed of the fold assignment. */
export async function crossValidateGrouped(
  tf: Tf,
  rows: CleanedRow[],
  options: CvOptions & { seeds: number[]; onFold?: (seed: number, fold: number) => void },
): Promise<GroupedCrossValidation> {
  let scored: CleanedRow[] | undefined;
  let excluded = 0;
  const predictions = Object.fromEntries(['model', ...BASELINES].map((n) => [n, [] as number[][]])) as Record<
    'model' | BaselineName,
    number[][]
  >;
  for (const seed of options.seeds) {
    const byId = new Map<number, { model: number; baselines: Record<BaselineName, number> }>();
    const seen: CleanedRow[] = [];
    for (let fold = 0; fold < options.folds; fold += 1) {
      const data = buildDataset(rows, (row): Split => groupedSplitOf(row, fold, options.folds, seed));
      excluded = data.excluded;
      const out = await runFold(tf, data, options);
      out.rows.forEach((row, i) => {
        seen.push(row);
        byId.set(row.id, {
          model: out.model[i] as number,
          baselines: Object.fromEntries(BASELINES.map((b) => [b, out.baselines[b][i] as number])) as Record<
            BaselineName,
            number
          >,
        });
      });
      options.onFold?.(seed, fold);
    }
    // Every scored row is in exactly one test fold; order them by id so seeds line up.
    scored ??= [...seen].sort((a, b) => a.id - b.id);
    const at = (row: CleanedRow) => {
      const p = byId.get(row.id);
      if (!p) throw new Error(`row ${row.id} was in no test fold for seed ${seed}`);
      return p;
    };
    predictions.model.push(scored.map((row) => at(row).model));
    for (const b of BASELINES) predictions[b].push(scored.map((row) => at(row).baselines[b]));
  }
  const final = scored ?? [];
  return {
    rows: final,
    actual: final.map((r) => r.ibu as number),
    groups: final.map(recipeKey),
    predictions,
    excluded,
    folds: options.folds,
    seeds: options.seeds,
  };
}
