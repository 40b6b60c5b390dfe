// How a failed retrain attempt is logged (docs/design.md "Logs"): `jobFailed` only when the job
// will not run again, so the trainer alarm counts failed jobs, not attempts that a retry may
// still turn into a success, nor the "not enough data yet" of a fresh deployment.

export interface Attempt {
  /** Attempts finished before this one (BullMQ's job.attemptsMade while the job runs). */
  attemptsMade: number;
  /** The job's attempts option (absent means one). */
  attempts?: number;
  /** The error fails the job at once (bad data: UnrecoverableError). */
  unrecoverable: boolean;
  /** The table is empty or too small to split: expected until the data arrives. */
  notEnoughData?: boolean;
}

export function failureKind(attempt: Attempt): 'jobFailed' | 'attemptFailed' | 'notEnoughData' {
  if (attempt.notEnoughData) return 'notEnoughData';
  const last = attempt.attemptsMade + 1 >= (attempt.attempts ?? 1);
  return last || attempt.unrecoverable ? 'jobFailed' : 'attemptFailed';
}
