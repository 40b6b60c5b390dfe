// After each flushed batch the cleaned consumer asks for a retrain, which waits out the cadence
// (lib/retrainCadence.ts) when the last retrain started less than RETRAIN_MIN_INTERVAL_S ago. Redis being down must never
// slow the stream or hold back a checkpoint: the request is fire-and-forget, rows not yet
// announced are remembered and announced with the next batch or on a timer.
import type { Redis } from 'ioredis';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import { createRedis } from '../../lib/redis.js';
import { enqueueRetrain, type RetrainQueue, retrainQueue } from '../../lib/retrainQueue.js';

export interface RetrainTrigger {
  newRows(rows: number): void;
  /** Rows written but not yet announced. */
  pending(): number;
  close(): Promise<void>;
}

export function retrainTrigger(
  config: Config,
  logger: Logger,
  retryMs = 5000,
  timeoutMs = 2000,
): RetrainTrigger {
  let redis: Redis | undefined;
  let queue: RetrainQueue | undefined;
  let pending = 0;
  let sending = false;
  let warned = false;

  const connect = () => {
    redis = createRedis(config.redisUrl, {
      // Fail at once while disconnected instead of queueing commands behind a dead connection.
      enableOfflineQueue: false,
      connectTimeout: timeoutMs,
    });
    redis.on('error', () => {}); // reported through failed sends below
    queue = retrainQueue(config, redis);
    queue.on('error', () => {});
    return { queue, redis };
  };

  const send = async () => {
    if (sending || pending === 0) return;
    sending = true;
    const rows = pending;
    try {
      const { queue: q, redis: connection } = queue && redis ? { queue, redis } : connect();
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('timed out')), timeoutMs).unref(),
      );
      const job = await Promise.race([
        enqueueRetrain(
          q,
          { reason: 'new-data', rows },
          { minIntervalMs: config.trainer.minIntervalS * 1000, redis: connection },
        ),
        timeout,
      ]);
      pending -= rows;
      warned = false;
      logger.debug({ jobId: job.id, rows, created: job.created }, 'retrain requested');
    } catch (error) {
      if (!warned)
        logger.warn({ err: error, pendingRows: pending }, 'could not request a retrain; will retry');
      warned = true;
    } finally {
      sending = false;
    }
  };

  const timer = setInterval(() => void send(), retryMs);
  timer.unref();

  return {
    newRows(rows) {
      pending += rows;
      void send();
    },
    pending: () => pending,
    close: async () => {
      clearInterval(timer);
      await queue?.close().catch(() => {});
      redis?.disconnect();
    },
  };
}
