// What the operators' page plots live: the consumers' stream metrics (published to Redis by the
// processors, lib/streamMetrics.ts) and this task's prediction counts and latencies.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { readStreamMetrics } from '../../lib/streamMetrics.js';
import { errorRef } from '../errors.js';
import { nullable } from '../schema.js';

const shard = Type.Object({
  shardId: Type.String(),
  records: Type.Integer(),
  lagMs: nullable(Type.Number()),
  freshnessMs: nullable(Type.Number()),
  deadLetters: Type.Record(Type.String(), Type.Integer()),
  updatedAt: nullable(Type.String()),
});

const metrics: FastifyPluginAsyncTypebox<{ queuePrefix: string }> = async (app, { queuePrefix }) => {
  app.get(
    '/metrics/stream',
    {
      schema: {
        tags: ['operations'],
        summary: "Each consumer's shards: records consumed, lag behind the tip, freshness, dead letters",
        response: {
          200: Type.Object({ cleaned: Type.Array(shard), raw: Type.Array(shard) }),
          503: errorRef,
        },
      },
    },
    async () => app.redisCall('read the stream metrics', () => readStreamMetrics(app.redis, queuePrefix)),
  );

  app.get(
    '/metrics/predictions',
    {
      schema: {
        tags: ['operations'],
        summary:
          "This task's prediction requests per minute (last hour), latency percentiles, served version",
        response: {
          200: Type.Object({
            serving: nullable(Type.String()),
            lastVersion: nullable(Type.String()),
            perMinute: Type.Array(
              Type.Object({
                minute: Type.String(),
                requests: Type.Integer(),
                predictions: Type.Integer(),
                errors: Type.Integer(),
              }),
            ),
            latencyMs: Type.Object({
              samples: Type.Integer(),
              p50: nullable(Type.Number()),
              p90: nullable(Type.Number()),
              p99: nullable(Type.Number()),
            }),
          }),
        },
      },
    },
    async () => {
      const snapshot = app.predictionStats.snapshot(Date.now());
      return {
        serving: app.models.version ?? null,
        lastVersion: snapshot.lastVersion,
        perMinute: snapshot.perMinute.map((m) => ({ ...m, minute: new Date(m.minute).toISOString() })),
        latencyMs: snapshot.latencyMs,
      };
    },
  );
};

export default metrics;
