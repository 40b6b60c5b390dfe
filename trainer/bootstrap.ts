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
