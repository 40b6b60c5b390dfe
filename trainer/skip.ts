// Skip unchanged data (docs/design.md "Queue `retrain`"): a retrain whose table has the content
// hash the last trained version was trained on ends at once, unless it is forced.

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
  contentHash: string,
  lastTrainedHash: string | undefined,
  force: boolean,
): boolean {
  return !force && lastTrainedHash === contentHash;
}
