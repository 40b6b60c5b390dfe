// Cross-validation for the quality figures of `npm run bench -- trainer`: k folds by recipe group
// (folds.ts). In each fold, the configuration is chosen among fixed candidates on an inner split
// of the fold's training groups (never on its test rows); the chosen one is then trained once per
// initialisation seed (fixed in advance), and the baselines (trainer/baselines.ts) are fitted and
// scored on the same folds, so every comparison is paired.
import type { CleanedRow } from '../../lib/beer.js';
import { predictIbu } from '../../lib/predict.js';
import type { Tf } from '../../lib/tfjs.js';
import { BASELINES, type BaselineName, fitBaselines, predictBaselines } from '../../trainer/baselines.js';
import { buildDataset, type Dataset, hasTarget } from '../../trainer/dataset.js';
import { regressionMetrics } from '../../trainer/metrics.js';
import { type ModelConfig, trainModel } from '../../trainer/model.js';
import { recipeGroup } from '../../trainer/split.js';
import { groupedSplitOf, innerSplitOf } from './folds.js';

export interface Candidate {
  name: string;
  config: ModelConfig;
}

export interface CvOptions {
  folds: number;
  /** The fold assignment's seed. */
  foldSeed: number;
  /** Initialisation seeds, each a whole training of the chosen configuration. */
  seeds: number[];
  candidates: Candidate[];
  /** The seed a candidate is trained with on the inner split. */
  selectionSeed: number;
  maxEpochs: number;
  patience: number;
  onProgress?: (message: string) => void;
}

export interface GroupedCrossValidation {
  /** The scored rows (trustworthy targets), ordered by id; every array below is aligned with it. */
  rows: CleanedRow[];
  actual: number[];
  /** Recipe group of each row: the bootstrap's resampling unit. */
  groups: string[];
  /** Out-of-fold predictions: the model's one array per initialisation seed, each baseline's one. */
  predictions: Record<'model' | BaselineName, number[][]>;
  /** Per fold: each candidate's inner-split MAE and the one chosen. */
  selection: Array<{ fold: number; innerMae: Record<string, number>; chosen: string }>;
  /** Rows left out of training and scoring (lib/features hasSuspectTarget). */
  excluded: number;
  folds: number;
  seeds: number[];
}

async function predictWith(tf: Tf, data: Dataset, config: ModelConfig, seed: number, options: CvOptions) {
  const inputs = data.preprocessing.features.length;
  const trained = await trainModel(tf, data.train, data.validation, inputs, {
    seed,
    maxEpochs: options.maxEpochs,
    patience: options.patience,
    config,
    target: data.preprocessing.target,
  });
  const predicted = Array.from(predictIbu(tf, trained.model, data.test.rows, data.preprocessing));
  trained.model.dispose();
  return predicted;
}

/** The candidate with the lowest MAE on the inner split of this fold's non-test rows. */
async function choose(tf: Tf, rest: CleanedRow[], options: CvOptions) {
  const innerMae: Record<string, number> = {};
  const [only] = options.candidates;
  if (options.candidates.length === 1 && only) return { innerMae, chosen: only };
  const inner = buildDataset(rest, (row) => innerSplitOf(row, options.folds, options.foldSeed));
  for (const candidate of options.candidates) {
    const predicted = await predictWith(tf, inner, candidate.config, options.selectionSeed, options);
    innerMae[candidate.name] = regressionMetrics(inner.test.ibu, predicted).mae;
  }
  const chosen = [...options.candidates].sort(
    (a, b) => (innerMae[a.name] as number) - (innerMae[b.name] as number),
  )[0] as Candidate;
  return { innerMae, chosen };
}

/** Grouped k-fold cross-validation with a nested choice of configuration. */
export async function crossValidateGrouped(
  tf: Tf,
  rows: CleanedRow[],
  options: CvOptions,
): Promise<GroupedCrossValidation> {
  const byId = new Map<number, { model: number[]; baselines: Record<BaselineName, number> }>();
  const selection: GroupedCrossValidation['selection'] = [];
  let excluded = 0;
  for (let fold = 0; fold < options.folds; fold += 1) {
    const split = (row: CleanedRow) => groupedSplitOf(row, fold, options.folds, options.foldSeed);
    const data = buildDataset(rows, split);
    excluded = data.excluded;
    const { innerMae, chosen } = await choose(
      tf,
      rows.filter((row) => hasTarget(row) && split(row) !== 'test'),
      options,
    );
    selection.push({ fold, innerMae, chosen: chosen.name });
    options.onProgress?.(
      `fold ${fold + 1}/${options.folds}: chose ${chosen.name} ${JSON.stringify(innerMae)}`,
    );
    const runs: number[][] = [];
    for (const seed of options.seeds) {
      runs.push(await predictWith(tf, data, chosen.config, seed, options));
      options.onProgress?.(`fold ${fold + 1}/${options.folds}: seed ${seed} done`);
    }
    const inputs = data.preprocessing.features.length;
    const baselines = predictBaselines(
      fitBaselines(data.train.rows, data.train.x, inputs),
      data.test.rows,
      data.test.x,
      inputs,
    );
    data.test.rows.forEach((row, i) => {
      byId.set(row.id, {
        model: runs.map((run) => run[i] as number),
        baselines: Object.fromEntries(BASELINES.map((b) => [b, baselines[b][i] as number])) as Record<
          BaselineName,
          number
        >,
      });
    });
  }
  const scored = rows.filter((row) => byId.has(row.id)).sort((a, b) => a.id - b.id);
  const at = (row: CleanedRow) => byId.get(row.id) as NonNullable<ReturnType<typeof byId.get>>;
  const predictions = {
    model: options.seeds.map((_, s) => scored.map((row) => at(row).model[s] as number)),
    ...Object.fromEntries(BASELINES.map((b) => [b, [scored.map((row) => at(row).baselines[b])]])),
  } as Record<'model' | BaselineName, number[][]>;
  return {
    rows: scored,
    actual: scored.map((r) => r.ibu as number),
    groups: scored.map(recipeGroup),
    predictions,
    selection,
    excluded,
    folds: options.folds,
    seeds: options.seeds,
  };
}
