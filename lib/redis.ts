// Redis connections. Every connection reconnects by itself, forever, with a capped backoff, and
// reconnects on READONLY (after an ElastiCache failover the old primary refuses writes until the
// DNS name points at the new one). Two kinds:
// - createRedis: everything but BullMQ's blocking worker connection. A command gets an answer or
//   an error within REDIS_COMMAND_TIMEOUT_MS, and is retried on one reconnect at most, so a caller
//   never waits on a Redis that is away; callers that must fail at once while disconnected (a
//   request handler) also turn the offline queue off.
// - createBlockingRedis: the connection a BullMQ Worker blocks on, where BullMQ requires
//   maxRetriesPerRequest: null (a blocking wait is not a command to time out).
import { Redis, type RedisOptions } from 'ioredis';

/** Longest wait for one command's answer on a non-blocking connection. */
export const REDIS_COMMAND_TIMEOUT_MS = 3000;
/** Longest pause between two reconnection attempts. */
export const REDIS_RECONNECT_CAP_MS = 2000;

/** Delay before reconnection attempt `attempt` (1, 2, ...): 100 ms doubling to the cap. */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), REDIS_RECONNECT_CAP_MS);
}

/** ioredis reconnectOnError: 2 = reconnect and resend the command, false = report the error. */
export function reconnectOnReadonly(error: Error): 2 | false {
  return error.message.startsWith('READONLY') ? 2 : false;
}

const reconnecting: RedisOptions = {
  retryStrategy: reconnectDelay,
  reconnectOnError: reconnectOnReadonly,
  connectTimeout: 5000,
};

/**
 * A non-blocking connection (commands, pub/sub, BullMQ Queue). Commands sent while it connects wait
 * in ioredis's offline queue, bounded: each is answered or failed within the command timeout, and
 * the queue is flushed with errors after every second failed reconnection.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    ...reconnecting,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    ...options,
  });
}

/** The connection a BullMQ Worker blocks on: no command timeout, retried until Redis is back. */
export function createBlockingRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { ...reconnecting, maxRetriesPerRequest: null, ...options });
}

/**
 * A connection subscribed to `channel` whenever it is connected: at start once Redis answers,
 * and again after every reconnection. ioredis's own autoResubscribe only remembers channels
 * whose SUBSCRIBE was answered, so a subscription first tried while Redis was down would never
 * be made; this one does not depend on that.
 */
export function subscription(
  url: string,
  channel: string,
  handlers: {
    message: (text: string) => void;
    /** After each successful SUBSCRIBE: messages sent while away were missed. */
    subscribed?: () => void;
    error?: (error: Error) => void;
  },
): Redis {
  const subscriber = createRedis(url, { autoResubscribe: false });
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      () => handlers.subscribed?.(),
      (error: Error) => handlers.error?.(error),
    );
  });
  subscriber.on('message', (from: string, text: string) => {
    if (from === channel) handlers.message(text);
  });
  return subscriber;
}

/**
 * Logs a connection's state changes, not every failed reconnection: one warning when it goes
 * away (with the error that said so), one line when it is back.
 */
export function reportConnection(
  redis: Redis,
  logger: { info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void },
  name: string,
): void {
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error, connection: name }, 'redis unavailable; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ connection: name }, 'redis connection back');
  });
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
  /** Train even when the table is unchanged since the last trained version (POST /retrain). */
  force?: boolean;
  /** Why a new-data retrain waits, and until when (lib/retrainCadence.ts); gone once it may run. */
  deferred?: string;
}
