// A record processor's stream metrics, published to Redis through lib/streamMetrics.ts's key
// layout for the operators' page: records consumed and lag behind the tip (from each
// processRecords), freshness and dead letters per reason (from each written batch). The same
// code under the local daemon and under Amazon's MultiLangDaemon. Counts gather in memory and go
// out in one pipeline a second; Redis being away never slows the stream: what could not be sent
// is kept (counts add up) and sent with the next flush.
import type { RecordProcessor } from 'aws-kcl';
import type { Redis } from 'ioredis';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import { createRedis } from '../../lib/redis.js';
import { reasonKind, STREAM_METRICS_TTL_S, streamMetricsKeys } from '../../lib/streamMetrics.js';
import type { ConsumerName } from '../application.js';
import type { Sink } from '../processor/batchingProcessor.js';

export const FLUSH_MS = 1000;

/** What a shard gathered since the last flush. */
export interface Pending {
  records: number;
  lagMs?: number;
  freshnessMs?: number;
  deadLetters: Map<string, number>;
}

/** Adds `next` (gathered later) to `earlier`: counts add up, the latest gauges win. */
export function mergePending(earlier: Pending, next: Pending): Pending {
  const deadLetters = new Map(earlier.deadLetters);
  for (const [reason, n] of next.deadLetters) deadLetters.set(reason, (deadLetters.get(reason) ?? 0) + n);
  return {
    records: earlier.records + next.records,
    lagMs: next.lagMs ?? earlier.lagMs,
    freshnessMs: next.freshnessMs ?? earlier.freshnessMs,
    deadLetters,
  };
}

const empty = (): Pending => ({ records: 0, deadLetters: new Map() });

export interface StreamMetrics {
  /** The processor, counting what each call carries before handing it on. */
  processor(inner: RecordProcessor): RecordProcessor;
  /** The sink, timing each written batch and counting its dead letters by reason. */
  sink<T>(inner: Sink<T>, deadLetterReason: (item: T) => string | undefined): Sink<T>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function streamMetrics(
  config: Config,
  consumer: ConsumerName,
  logger: Logger,
  options: { now?: () => number; redis?: Redis } = {},
): StreamMetrics {
  const now = options.now ?? Date.now;
  const keys = streamMetricsKeys(config.queuePrefix);
  const pending = new Map<string, Pending>();
  let redis = options.redis;
  let warned = false;
  let flushing: Promise<void> | undefined;

  const add = (shardId: string, part: Partial<Pending>) =>
    pending.set(shardId, mergePending(pending.get(shardId) ?? empty(), { ...empty(), ...part }));

  const send = async () => {
    if (pending.size === 0) return;
    const batch = new Map(pending);
    pending.clear();
    // Commands wait for a connection that is coming up, each answered or failed within the
    // command timeout (lib/redis.ts); one flush at a time, so a Redis away never piles them up.
    redis ??= createRedis(config.redisUrl).on('error', () => {});
    const at = now();
    const multi = redis.multi();
    for (const [shardId, p] of batch) {
      const key = keys.shard(consumer, shardId);
      multi.hincrby(key, 'records', p.records);
      if (p.lagMs !== undefined) multi.hset(key, 'lagMs', p.lagMs);
      if (p.freshnessMs !== undefined) multi.hset(key, 'freshnessMs', p.freshnessMs);
      for (const [reason, n] of p.deadLetters) multi.hincrby(key, keys.deadLetterField(reason), n);
      multi.hset(key, 'updatedAt', at);
      multi.expire(key, STREAM_METRICS_TTL_S);
      multi.zadd(keys.shards(consumer), at, shardId);
    }
    multi.expire(keys.shards(consumer), STREAM_METRICS_TTL_S);
    try {
      await multi.exec();
      warned = false;
    } catch (error) {
      // Put back what was not sent, under what arrived meanwhile.
      for (const [shardId, p] of batch)
        pending.set(shardId, mergePending(p, pending.get(shardId) ?? empty()));
      if (!warned) logger.warn({ err: error }, 'could not publish stream metrics; will retry');
      warned = true;
    }
  };
  const flush = () => {
    flushing ??= send().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), FLUSH_MS);
  timer.unref();

  return {
    processor(inner) {
      let shardId = 'unknown';
      return {
        ...inner,
        initialize(input, done) {
          shardId = input.shardId;
          inner.initialize(input, done);
        },
        processRecords(input, done) {
          add(shardId, { records: input.records.length, lagMs: input.millisBehindLatest });
          inner.processRecords(input, done);
        },
      };
    },

    sink<T>(inner: Sink<T>, deadLetterReason: (item: T) => string | undefined): Sink<T> {
      return {
        ...inner,
        written(shardId, batch) {
          const deadLetters = new Map<string, number>();
          let oldest = Number.POSITIVE_INFINITY;
          for (const b of batch) {
            oldest = Math.min(oldest, b.arrival);
            const reason = deadLetterReason(b.item);
            if (reason !== undefined) {
              const kind = reasonKind(reason);
              deadLetters.set(kind, (deadLetters.get(kind) ?? 0) + 1);
            }
          }
          add(shardId, {
            freshnessMs: Number.isFinite(oldest) ? Math.max(0, now() - oldest) : undefined,
            deadLetters,
          });
          inner.written?.(shardId, batch);
        },
      };
    },

    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
      if (!options.redis) redis?.disconnect();
    },
  };
}
