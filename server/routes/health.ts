// Liveness and readiness: /health answers while the process runs; /ready once the champion is
// loaded, or once the registry is known to have none yet ("no-model": predictions answer 503, but
// the API and the dashboard, where an operator starts the first retrain, must stay reachable).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { nullable } from '../schema.js';

const status = Type.Object({ status: Type.String(), model: Type.Optional(nullable(Type.String())) });

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
      schema: { tags: ['operations'], response: { 200: status, 503: status } },
    },
    async (_request, reply) => {
      const model = app.models.version;
      if (model !== undefined) return { status: 'ready', model };
      if (app.models.ready) return { status: 'no-model', model: null };
      return reply.code(503).send({ status: 'loading', model: null });
    },
  );
};

export default health;
