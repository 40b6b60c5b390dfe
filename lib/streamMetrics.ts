// The consumers' stream metrics in Redis (docs/design.md "Stream metrics"): one object spells the
// key layout, as BullMQ's queue keys do; the processors write through it
// (consumers/metrics/streamMetrics.ts) and the server reads through it (GET /metrics/stream).
// Under the queue prefix, so a local namespace or a test's names keep their own.
import type { Redis } from 'ioredis';
import type { ConsumerName } from '../consumers/application.js';

/** A shard that has published nothing for a day (ended, resharded away) drops out. */
export const STREAM_METRICS_TTL_S = 86_400;
const DEAD_LETTER_FIELD = 'deadLetters:';

export const streamMetricsKeys = (prefix: string) => ({
  /** ZSET of shard ids scored by their last update (epoch ms). */
  shards: (consumer: string) => `${prefix}:stream-metrics:${consumer}:shards`,
  /** HASH of one shard: records, lagMs, freshnessMs, updatedAt, deadLetters:<reason>. */
  shard: (consumer: string, shardId: string) => `${prefix}:stream-metrics:${consumer}:shard:${shardId}`,
  deadLetterField: (reason: string) => `${DEAD_LETTER_FIELD}${reason}`,
});

export interface ShardMetrics {
  shardId: string;
  /** Records this consumer has processed on the shard (every holder's, since the key was made). */
  records: number;
  /** How far behind the stream's tip the last fetch was (Kinesis MillisBehindLatest). */
  lagMs: number | null;
  /** Put → object visible for the last batch written: its oldest record's arrival to the write. */
  freshnessMs: number | null;
  /** Dead letters by reason (the reason's text before its first colon: `abv`, `not JSON`, …). */
  deadLetters: Record<string, number>;
  updatedAt: string | null;
}

/** The kind of a dead letter's reason: its text before the first colon (`abv: expected …` → `abv`). */
export function reasonKind(reason: string): string {
  const colon = reason.indexOf(':');
  return (colon < 0 ? reason : reason.slice(0, colon)).trim().slice(0, 40) || 'unknown';
}

/** A shard's hash as stored, read back; fields never written are null (or zero for counts). */
export function shardMetrics(shardId: string, hash: Record<string, string>): ShardMetrics {
  const num = (field: string) => {
    const value = hash[field];
    return value === undefined || !Number.isFinite(Number(value)) ? null : Number(value);
  };
  const deadLetters: Record<string, number> = {};
  for (const [field, value] of Object.entries(hash))
    if (field.startsWith(DEAD_LETTER_FIELD))
      deadLetters[field.slice(DEAD_LETTER_FIELD.length)] = Number(value);
  const updatedAt = num('updatedAt');
  return {
    shardId,
    records: num('records') ?? 0,
    lagMs: num('lagMs'),
    freshnessMs: num('freshnessMs'),
    deadLetters,
    updatedAt: updatedAt === null ? null : new Date(updatedAt).toISOString(),
  };
}

/** Every consumer's shards, as published. */
export async function readStreamMetrics(
  redis: Redis,
  prefix: string,
): Promise<Record<ConsumerName, ShardMetrics[]>> {
  const keys = streamMetricsKeys(prefix);
  const read = async (consumer: ConsumerName) => {
    const shardIds = await redis.zrange(keys.shards(consumer), '0', '-1');
    const hashes = await Promise.all(shardIds.map((id) => redis.hgetall(keys.shard(consumer, id))));
    return shardIds
      .map((id, i) => shardMetrics(id, hashes[i] ?? {}))
      .filter((s) => s.updatedAt !== null)
      .sort((a, b) => a.shardId.localeCompare(b.shardId));
  };
  const [cleaned, raw] = await Promise.all([read('cleaned'), read('raw')]);
  return { cleaned, raw };
}
