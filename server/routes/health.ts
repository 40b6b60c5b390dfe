// Liveness and readiness: /health answers while the process runs; /ready once the champion is
// loaded, or once the registry is known to have none yet ("no-model": predictions answer 503, but
// the API and the dashboard, where an operator starts the first retrain, must stay reachable).
// /ready also says how Redis and the registry (S3) stand. Neither fails it once a model is
// loaded: predictions need neither, and a load balancer that took a predicting task out of
// service because Redis is away would turn a retrain outage into a prediction outage.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { nullable } from '../schema.js';

const status = Type.Object({ status: Type.String(), model: Type.Optional(nullable(Type.String())) });
const readiness = Type.Object({
  status: Type.String({ description: 'ready, no-model (the registry names no champion yet) or loading' }),
  model: nullable(Type.String()),
  redis: Type.String({ description: 'up, or down (retrains refused with 503; predictions go on)' }),
  s3: Type.String({ description: 'the last read of champion.json: ok, error, or pending' }),
});

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { config: { rateLimit: false }, schema: { tags: ['operations'], response: { 200: status } } },
    async () => ({ status: 'ok', model: app.models.version ?? null }),
  );
  app.get(
    '/ready',
    {
      config: { rateLimit: false },
      schema: { tags: ['operations'], response: { 200: readiness, 503: readiness } },
    },
    async (_request, reply) => {
      const dependencies = { redis: app.redisUp() ? 'up' : 'down', s3: app.models.registry };
      const model = app.models.version;
      if (model !== undefined) return { status: 'ready', model, ...dependencies };
      if (app.models.ready) return { status: 'no-model', model: null, ...dependencies };
      return reply.code(503).send({ status: 'loading', model: null, ...dependencies });
    },
  );
};

export default health;
