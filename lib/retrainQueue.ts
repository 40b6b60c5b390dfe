// The `retrain` queue as every role sees it (docs/design.md "Queue `retrain`"). At most one
// retrain waits at a time: adds share one deduplication id, and the worker releases that id when
// it starts a job (releaseRetrainDedup), so data that lands during a training queues exactly one
// more retrain instead of being lost behind the active one.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { RETRAIN_QUEUE, type RetrainJobData } from './redis.js';

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

export async function enqueueRetrain(queue: RetrainQueue, data: RetrainJobData): Promise<Enqueued> {
  const waitingId = await queue.getDeduplicationJobId(RETRAIN_DEDUP_ID);
  const job = await queue.add('retrain', data, { deduplication: { id: RETRAIN_DEDUP_ID } });
  const id = job.id ?? waitingId ?? '';
  // A forced retrain that joins a waiting one forces it (it has not started: the worker releases
  // the deduplication id before it reads the job's table).
  const created = waitingId == null || waitingId !== id;
  if (data.force && !created) {
    const waiting = await queue.getJob(id);
    if (waiting && !waiting.data.force) await waiting.updateData({ ...waiting.data, force: true });
  }
  return { id, created };
}

/** Called by the worker as a job starts, before it reads the table. */
export async function releaseRetrainDedup(queue: RetrainQueue): Promise<void> {
  await queue.removeDeduplicationKey(RETRAIN_DEDUP_ID);
}
