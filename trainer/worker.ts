// The retrain worker: BullMQ queue `retrain`, one job at a time. It releases the queue's
// deduplication id as a job starts (so data landing during training queues one more retrain),
// reports progress per epoch (the dashboard shows it), and fails at once a job whose error says
// retrying cannot help (lib/errors.ts: bad data, a corrupt object, access denied); the champion is
// never touched by a failed or worse model.
import type { S3Client } from '@aws-sdk/client-s3';
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../lib/config.js';
import { isRetryable, NotEnoughDataError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { RETRAIN_QUEUE, type RetrainJobData } from '../lib/redis.js';
import {
  cadenceWait,
  markRetrainStarted,
  type RetrainQueue,
  releaseRetrainDedup,
} from '../lib/retrainQueue.js';
import { failureKind } from './failure.js';
import { runTraining } from './train.js';

export interface WorkerContext {
  config: Config;
  s3: S3Client;
  /** Blocking connection for the worker, separate from the one used to publish. */
  connection: Redis;
  publisher: Redis;
  queue: RetrainQueue;
  logger: Logger;
}

export function startWorker(ctx: WorkerContext): Worker<RetrainJobData> {
  const { config, logger } = ctx;
  const worker = new Worker<RetrainJobData>(
    RETRAIN_QUEUE,
    async (job, token) => {
      // The cadence, checked again as a new-data job (not forced) starts (a request racing the
      // previous job's start can add one with no delay): one that comes too soon goes back to wait,
      // still holding the deduplication id, so later batches join it.
      const wait =
        job.data.reason === 'new-data' && !job.data.force
          ? await cadenceWait(ctx.publisher, ctx.queue, config.trainer.minIntervalS * 1000)
          : { waitMs: 0 };
      if (wait.waitMs > 0) {
        await job.updateData({ ...job.data, deferred: wait.deferred });
        await job.moveToDelayed(Date.now() + wait.waitMs, token);
        logger.info({ jobId: job.id, waitMs: wait.waitMs }, 'retrain deferred as it started: the cadence');
        throw new DelayedError();
      }
      // The start is recorded before the deduplication id is released: a new-data retrain asked for
      // the moment after the release must count its cadence from this start, not the one before.
      await markRetrainStarted(ctx.publisher, ctx.queue, job.processedOn ?? Date.now());
      await releaseRetrainDedup(ctx.queue);
      logger.info({ jobId: job.id, data: job.data, attempt: job.attemptsMade + 1 }, 'retrain started');
      let lastProgress = 0;
      try {
        const outcome = await runTraining({
          config,
          s3: ctx.s3,
          redis: ctx.publisher,
          logger,
          force: job.data.force === true,
          onEpoch: async (progress) => {
            // At most five progress writes a second: enough for the dashboard, cheap for Redis.
            if (Date.now() - lastProgress < 200) return;
            lastProgress = Date.now();
            await job.updateProgress(progress);
          },
        });
        if ('skipped' in outcome) {
          // The job's return value says so (the dashboard and GET /retrain/:id show it).
          await job.updateProgress({ done: true, skipped: true });
          return outcome;
        }
        await job.updateProgress({ done: true, version: outcome.version });
        const { plots: _plots, ...result } = outcome;
        return result;
      } catch (error) {
        const message = (error as Error).message;
        const unrecoverable = !isRetryable(error);
        const notEnoughData = error instanceof NotEnoughDataError;
        const kind = failureKind({
          attemptsMade: job.attemptsMade,
          attempts: job.opts.attempts,
          unrecoverable,
          notEnoughData,
        });
        const fields = { jobId: job.id, attempt: job.attemptsMade + 1, reason: message };
        if (kind === 'jobFailed') logger.error({ jobFailed: true, ...fields }, 'retrain failed');
        else if (kind === 'notEnoughData')
          logger.warn({ notEnoughData: true, ...fields }, 'retrain skipped: not enough data yet');
        else logger.warn({ attemptFailed: true, ...fields }, 'retrain attempt failed; it will be retried');
        if (unrecoverable) throw new UnrecoverableError(message);
        throw error;
      }
    },
    {
      connection: ctx.connection,
      prefix: config.queuePrefix,
      concurrency: 1,
      // A trainer that dies mid-job (SIGKILL, a lost container) holds the job's lock until it
      // expires; another trainer's stalled-job check then puts the job back to wait. With these, a
      // job is retried within about 25 s (lock 15 s, renewed every 7.5 s; checks every 5 s) instead
      // of BullMQ's default 30 s + 30 s. A stall does not count as an attempt; a second stall of
      // the same job fails it (maxStalledCount 1).
      lockDuration: 15_000,
      stalledInterval: 5000,
      maxStalledCount: 1,
    },
  );
  worker.on('error', (error) => logger.warn({ err: error }, 'worker connection error'));
  return worker;
}

/** RETRAIN_SCHEDULE: a number of seconds ("3600") or a cron pattern ("0 * * * *"). */
export function scheduleOptions(schedule: string): { every: number } | { pattern: string } {
  if (/^\d+$/.test(schedule)) return { every: Number(schedule) * 1000 };
  if (schedule.trim().split(/\s+/).length >= 5) return { pattern: schedule.trim() };
  throw new Error(`RETRAIN_SCHEDULE: expected seconds or a cron pattern, got "${schedule}"`);
}
