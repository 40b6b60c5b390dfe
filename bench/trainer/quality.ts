// The quality report of a grouped cross-validation (crossValidation.ts): for the model and
// each baseline, MAE, median absolute error, MAE on beers up to 150 IBU, and MAE of log1p(IBU),
// each with a 95% bootstrap interval over recipe groups, and the paired interval of the MAE
// difference between the model and the best baseline. The model's figures are over its runs
// (one per initialisation seed): each row's error averaged over the runs; and each run's own MAE
// and difference, for the spread. Pure.

import { medianOf } from '../../lib/stats.js';
import { BASELINES, type BaselineName } from '../../trainer/baselines.js';
import { type BootstrapOptions, bootstrapInterval, clustersOf } from '../../trainer/bootstrap.js';

export type Estimate = {
  value: number;
  ci95: [number, number];
};

export type ModelQuality = {
  mae: Estimate;
  medianAe: Estimate;
  maeUpTo150: Estimate;
  maeLog: Estimate;
};

export type QualityReport = {
  models: Record<'model' | BaselineName, ModelQuality>;
  bestBaseline: BaselineName;
  /** Model MAE minus the best baseline's, paired by row. */
  diffVsBest: Estimate;
  /** Each model run (initialisation seed) alone: its MAE and its difference from the best baseline. */
  perRun: Array<{ mae: number; diffVsBest: Estimate }>;
  rows: number;
  groups: number;
};

interface Input {
  actual: number[];
  groups: string[];
  /** Per model, one prediction array per fold-assignment seed, aligned with `actual`. */
  predictions: Record<'model' | BaselineName, number[][]>;
}

const log1p = (x: number) => Math.log1p(Math.max(x, 0));

/** Each row's error averaged over the seeds, so a row counts once whatever the number of seeds. */
export function rowErrors(actual: number[], runs: number[][], f: (p: number, a: number) => number): number[] {
  return actual.map((a, i) => runs.reduce((sum, run) => sum + f(run[i] as number, a), 0) / runs.length);
}

export function qualityReport(input: Input, options: BootstrapOptions = {}): QualityReport {
  const { actual } = input;
  const clusters = clustersOf(input.groups);
  const upTo150 = actual.map((a) => a <= 150);
  const mean = (values: number[], rows: number[], keep: (i: number) => boolean = () => true) => {
    let sum = 0;
    let n = 0;
    for (const i of rows) {
      if (!keep(i)) continue;
      sum += values[i] as number;
      n += 1;
    }
    return n === 0 ? Number.NaN : sum / n;
  };
  const all = actual.map((_, i) => i);
  const estimate = (stat: (rows: number[]) => number): Estimate => ({
    value: stat(all),
    ci95: bootstrapInterval(clusters, stat, options),
  });
  const abs: Record<string, number[]> = {};
  const models = {} as QualityReport['models'];
  for (const name of ['model', ...BASELINES] as const) {
    const runs = input.predictions[name];
    const e = rowErrors(actual, runs, (p, a) => Math.abs(p - a));
    const l = rowErrors(actual, runs, (p, a) => Math.abs(log1p(p) - log1p(a)));
    abs[name] = e;
    models[name] = {
      mae: estimate((rows) => mean(e, rows)),
      medianAe: estimate((rows) => medianOf(rows.map((i) => e[i] as number))),
      maeUpTo150: estimate((rows) => mean(e, rows, (i) => upTo150[i] as boolean)),
      maeLog: estimate((rows) => mean(l, rows)),
    };
  }
  const bestBaseline = [...BASELINES].sort(
    (a, b) => models[a].mae.value - models[b].mae.value,
  )[0] as BaselineName;
  const best = abs[bestBaseline] as number[];
  const diff = (abs.model as number[]).map((e, i) => e - (best[i] as number));
  const perRun = input.predictions.model.map((run) => {
    const e = rowErrors(actual, [run], (p, a) => Math.abs(p - a));
    const d = e.map((x, i) => x - (best[i] as number));
    return { mae: mean(e, all), diffVsBest: estimate((rows) => mean(d, rows)) };
  });
  return {
    models,
    bestBaseline,
    diffVsBest: estimate((rows) => mean(diff, rows)),
    perRun,
    rows: actual.length,
    groups: clusters.length,
  };
}
