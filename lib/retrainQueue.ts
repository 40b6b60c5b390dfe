// The `retrain` queue as every role sees it (docs/design.md "Queue `retrain`"). At most one
// retrain waits at a time: adds share one deduplication id, and the worker releases that id when
// it starts a job (releaseRetrainDedup), so data that lands during a training queues exactly one
// more retrain instead of being lost behind the active one.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { RETRAIN_QUEUE, type RetrainJobData } from './redis.js';
import { deferralNote, newDataDelay } from './retrainCadence.js';

export const RETRAIN_DEDUP_ID = 'retrain:pending';
/** The job scheduler of RETRAIN_SCHEDULE (the trainer sets it up). */
export const RETRAIN_SCHEDULER_ID = 'retrain-schedule';

const JOB_ID = new RegExp(`^(?:[1-9][0-9]{0,15}|repeat:${RETRAIN_SCHEDULER_ID}:[0-9]{1,16})$`);

/**
 * Whether `id` can name a retrain job: BullMQ's counter (`1`, `2`, ...; a deduplicated add keeps
 * the id of the job it joined) or a scheduled run's `repeat:retrain-schedule:<epoch ms>`. Anything
 * else under the queue's prefix (`meta`, `events`, `id`, ...) is the queue's own bookkeeping.
 */
export function isRetrainJobId(id: string): boolean {
  return JOB_ID.test(id);
}

export type RetrainQueue = Queue<RetrainJobData>;

export function retrainQueue(config: Config, connection: Redis): RetrainQueue {
  return new Queue<RetrainJobData>(RETRAIN_QUEUE, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { count: 200 },
      removeOnFail: { count: 500 },
    },
  });
}

export interface Enqueued {
  id: string;
  /** False when a retrain was already waiting and this request joined it. */
  created: boolean;
}

/**
 * Queues a retrain or joins the one waiting. A new-data retrain given a cadence waits until
 * `minIntervalMs` after the last retrain started (a delayed job that later batches join). A manual
 * or forced one that joins a deferred job makes it run at once, forced if asked.
 */
export async function enqueueRetrain(
  queue: RetrainQueue,
  data: RetrainJobData,
  cadence?: { minIntervalMs: number; redis: Redis },
): Promise<Enqueued> {
  const waitingId = await queue.getDeduplicationJobId(RETRAIN_DEDUP_ID);
  let delay = 0;
  let job: RetrainJobData = data;
  // The cadence is read even when a retrain waits: the worker may take that one and release its
  // deduplication id before the add below, which then creates a job; judged on "none waited" alone,
  // that job ran at once, right after the one that had just started (seen 62 ms apart in CI). What
  // can still slip through (both of the worker's writes between this read and the add) the worker
  // catches as the job starts (`cadenceWait`).
  if (data.reason === 'new-data' && cadence) {
    const wait = await cadenceWait(cadence.redis, queue, cadence.minIntervalMs);
    delay = wait.waitMs;
    if (wait.deferred !== undefined) job = { ...data, deferred: wait.deferred };
  }
  const added = await queue.add('retrain', job, { deduplication: { id: RETRAIN_DEDUP_ID }, delay });
  const id = added.id ?? waitingId ?? '';
  const created = waitingId == null || waitingId !== id;
  // Joining a waiting one (it has not started: the worker releases the deduplication id before it
  // reads the job's table): a manual request does not wait for the cadence, a forced one forces it.
  if (!created && data.reason !== 'new-data') {
    const waiting = await queue.getJob(id);
    if (waiting) {
      // The data first: once promoted, the worker may take the job at any moment. It becomes the
      // joiner's retrain (its reason), so the worker's cadence check as it starts lets it run.
      const { deferred: _deferred, ...rest } = waiting.data;
      if (_deferred !== undefined || rest.reason !== data.reason || (data.force && !rest.force))
        await waiting.updateData({ ...rest, reason: data.reason, ...(data.force ? { force: true } : {}) });
      if (await waiting.isDelayed()) await waiting.promote();
    }
  }
  return { id, created };
}

/**
 * How long a new-data retrain must wait for the cadence from now (0: none), with the note it then
 * carries: what a request's add is delayed by, and what the worker checks again as such a job starts.
 */
export async function cadenceWait(
  redis: Redis,
  queue: RetrainQueue,
  minIntervalMs: number,
  now = Date.now(),
): Promise<{ waitMs: number; deferred?: string }> {
  if (minIntervalMs <= 0) return { waitMs: 0 };
  const last = await lastRetrainStart(redis, queue);
  const waitMs = newDataDelay(now, last, minIntervalMs);
  return waitMs > 0 && last !== undefined
    ? { waitMs, deferred: deferralNote(last, minIntervalMs) }
    : { waitMs: 0 };
}

/** When the last retrain started (ms), as the worker recorded it; undefined before the first. */
export async function lastRetrainStart(redis: Redis, queue: RetrainQueue): Promise<number | undefined> {
  const value = await redis.get(queue.toKey(LAST_STARTED));
  return value === null ? undefined : Number(value);
}

/** Recorded by the worker as a job starts: the cadence counts from here. */
export async function markRetrainStarted(redis: Redis, queue: RetrainQueue, atMs: number): Promise<void> {
  await redis.set(queue.toKey(LAST_STARTED), String(atMs));
}

const LAST_STARTED = 'cadence:last-started';

/** Called by the worker as a job starts, before it reads the table. */
export async function releaseRetrainDedup(queue: RetrainQueue): Promise<void> {
  await queue.removeDeduplicationKey(RETRAIN_DEDUP_ID);
}
