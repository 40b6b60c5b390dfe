// What GET /models says of each version: the figures an operator compares across versions, not
// the training history or the test split (those stay in GET /models/:version). A page of versions
// is cut from the registry's sorted names before any metadata is read, so a registry of months
// costs one LIST and `limit` reads.
import type { ModelMetadata } from '../../lib/modelRegistry.js';

export interface ModelSummary {
  version: string;
  createdAt: string;
  promoted: boolean;
  reason: string;
  rows: number;
  testRows: number;
  /** The candidate's test MAE; null when it was not a number. */
  mae: number | null;
  /** Its 95% bootstrap interval; null for versions trained before it was recorded. */
  maeCi95: [number, number] | null;
  /** Each simple baseline's test MAE on the same split (the linear one at least). */
  baselines: Record<string, number | null>;
  /** The champion of the moment re-scored on the same split, if there was one. */
  champion: { version: string; mae: number | null } | null;
  epochs: number;
  bestEpoch: number;
  trainingSeconds: number;
}

export function summarise(meta: ModelMetadata): ModelSummary {
  const { metrics } = meta;
  const baselines = metrics.baselines
    ? Object.fromEntries(Object.entries(metrics.baselines).map(([name, set]) => [name, set.mae]))
    : { linear: metrics.baseline.mae };
  return {
    version: meta.version,
    createdAt: meta.createdAt,
    promoted: meta.promoted,
    reason: meta.reason,
    rows: meta.dataset.rows,
    testRows: meta.dataset.testRows,
    mae: metrics.model.mae,
    maeCi95: meta.evaluation?.maeCi95 ?? null,
    baselines,
    champion: metrics.champion ? { version: metrics.champion.version, mae: metrics.champion.mae } : null,
    epochs: meta.history.length,
    bestEpoch: meta.bestEpoch,
    trainingSeconds: meta.trainingSeconds,
  };
}

export interface VersionPage {
  /** Newest first. */
  versions: string[];
  /** The cursor of the next (older) page, or null when this one reaches the oldest version. */
  next: string | null;
}

/**
 * One page of `sorted` (oldest first, as the registry lists them), newest first: the `limit`
 * versions older than `cursor` (a version name; all of them without one). A cursor need not be a
 * version that still exists: the page starts below wherever it would sort.
 */
export function pageOfVersions(sorted: readonly string[], limit: number, cursor?: string): VersionPage {
  const below = cursor === undefined ? sorted : sorted.filter((v) => v < cursor);
  const versions = below.slice(-limit).reverse();
  const oldest = versions[versions.length - 1];
  return { versions, next: below.length > limit && oldest !== undefined ? oldest : null };
}
