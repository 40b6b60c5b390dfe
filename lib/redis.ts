import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for BullMQ and pub/sub. BullMQ requires maxRetriesPerRequest: null on
 * connections that block; callers that must not wait on a down Redis pass their own options.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, ...options });
}

/** True when a Redis server answers PING at the URL within the timeout. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export const RETRAIN_QUEUE = 'retrain';
export const MODEL_PROMOTED_CHANNEL = 'model:promoted';

export type RetrainReason = 'new-data' | 'manual' | 'schedule';
export interface RetrainJobData {
  reason: RetrainReason;
  rows?: number;
}

/**
 * Options for every connection but BullMQ's blocking worker connection (docs/design.md "Retries"):
 * a command is answered or failed within 3 s, even one queued while disconnected, and is retried
 * on one reconnection at most, so nothing waits long in the offline queue; reconnection goes on in
 * the background with a backoff capped at 2 s. A caller that must not wait at all while
 * disconnected also sets enableOfflineQueue: false.
 */
export const BOUNDED_COMMANDS: RedisOptions = {
  commandTimeout: 3000,
  maxRetriesPerRequest: 1,
  retryStrategy: (times: number) => Math.min(100 * 2 ** Math.max(0, times - 1), 2000),
};
