// Skip unchanged data (docs/design.md "Queue `retrain`"): a retrain whose table has the content
// hash the last trained version was trained on, with the feature recipe this trainer fits, ends at
// once, unless it is forced. A new recipe (a trainer upgrade) trains once on unchanged data.

/** What a skipped retrain returns, as the job's return value. */
export interface SkippedTraining {
  skipped: true;
  reason: string;
  rows: number;
  contentHash: string;
  lastTrainedVersion: string;
}

export const SKIPPED_NO_NEW_DATA = 'skipped: no new data';

export function shouldSkip(
  now: { contentHash: string; recipe: number },
  last: { contentHash: string; recipe?: number } | undefined,
  force: boolean,
): boolean {
  // last-trained.json written before recipes were recorded was recipe 1's.
  return (
    !force && last !== undefined && last.contentHash === now.contentHash && (last.recipe ?? 1) === now.recipe
  );
}
