// Percentile bootstrap intervals, seeded so a report repeats. The resampled unit is a cluster of
// rows (a recipe group: copies of one recipe are not independent evidence), or each row alone.
import { quantile } from '../lib/stats.js';
import { seededRandom } from './rng.js';

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided coverage, 0.95 by default. */
  level?: number;
}

/** [low, high] of `stat` over resamples of the clusters (each a list of row indices). */
export function bootstrapInterval(
  clusters: number[][],
  stat: (rows: number[]) => number,
  options: BootstrapOptions = {},
): [number, number] {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 1);
  const values: number[] = [];
  for (let b = 0; b < resamples; b += 1) {
    const rows: number[] = [];
    for (let c = 0; c < clusters.length; c += 1) {
      rows.push(...(clusters[Math.floor(random() * clusters.length)] as number[]));
    }
    values.push(stat(rows));
  }
  if (values.some((v) => Number.isNaN(v))) return [Number.NaN, Number.NaN];
  values.sort((a, b) => a - b);
  return [quantile(values, (1 - level) / 2), quantile(values, 1 - (1 - level) / 2)];
}

/**
 * bootstrapInterval of the mean of `values`, in time that grows with the clusters, not the rows:
 * each cluster's sum and size are added once, and a resample adds up clusters (the same draws as
 * bootstrapInterval for the same seed, so the same interval up to rounding). For a test split of
 * tens of thousands of rows in fewer recipe groups, the promotion's 2,000 resamples stay cheap.
 */
export function bootstrapMeanInterval(
  values: readonly number[],
  clusters: number[][],
  options: BootstrapOptions = {},
): [number, number] {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 1);
  const sums = clusters.map((rows) => rows.reduce((sum, i) => sum + (values[i] as number), 0));
  const sizes = clusters.map((rows) => rows.length);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b += 1) {
    let sum = 0;
    let size = 0;
    for (let c = 0; c < clusters.length; c += 1) {
      const k = Math.floor(random() * clusters.length);
      sum += sums[k] as number;
      size += sizes[k] as number;
    }
    means[b] = sum / size;
  }
  if (means.some((v) => Number.isNaN(v))) return [Number.NaN, Number.NaN];
  const sorted = Array.from(means).sort((a, b) => a - b);
  return [quantile(sorted, (1 - level) / 2), quantile(sorted, 1 - (1 - level) / 2)];
}

/** Row indices grouped by key, in order of first appearance: the clusters of bootstrapInterval. */
export function clustersOf(keys: readonly string[]): number[][] {
  const byKey = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const cluster = byKey.get(key);
    if (cluster) cluster.push(i);
    else byKey.set(key, [i]);
  });
  return [...byKey.values()];
}

export const meanOf = (values: readonly number[], rows: readonly number[]) =>
  rows.reduce((sum, i) => sum + (values[i] as number), 0) / rows.length;
