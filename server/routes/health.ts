// Liveness and readiness: /health answers while the process runs; /ready only once a model is
// loaded (a load balancer should not send predictions before then).
import type { FastifyPluginAsync } from 'fastify';

const status = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, model: { type: ['string', 'null'] } },
} as const;

const health: FastifyPluginAsync = async (app) => {
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
      if (model === undefined) return reply.code(503).send({ status: 'loading', model: null });
      return { status: 'ready', model };
    },
  );
};

export default health;
