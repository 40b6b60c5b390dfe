// The retrain cadence (docs/design.md "Queue `retrain`"): new data asks for a retrain after every
// batch, and under a steady stream there always is a new batch, so a new-data retrain waits until
// RETRAIN_MIN_INTERVAL_S after the last retrain started. Manual, forced and scheduled retrains do
// not wait. Pure: the queue (lib/retrainQueue.ts) reads the times and delays the job.

/** How long a new-data retrain asked for at `nowMs` waits; 0 when it may start at once. */
export function newDataDelay(
  nowMs: number,
  lastStartedMs: number | undefined,
  minIntervalMs: number,
): number {
  if (lastStartedMs === undefined || minIntervalMs <= 0) return 0;
  return Math.max(0, lastStartedMs + minIntervalMs - nowMs);
}

/** What a deferred job says about itself (its data, GET /retrain/:id and the dashboard show it). */
export function deferralNote(lastStartedMs: number, minIntervalMs: number): string {
  const runsAt = new Date(lastStartedMs + minIntervalMs).toISOString();
  return `deferred: new data retrains at most once every ${minIntervalMs / 1000} s (RETRAIN_MIN_INTERVAL_S) and the last retrain started at ${new Date(lastStartedMs).toISOString()}; runs at ${runsAt}, or at once on a manual retrain`;
}
