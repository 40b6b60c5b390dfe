// POST /retrain queues a `manual` retrain (or joins the one already waiting); GET /retrain/:id
// reports a job's state and progress.
import type { FastifyPluginAsync } from 'fastify';
import { enqueueRetrain } from '../../lib/retrainQueue.js';
import { HttpError } from '../errors.js';

const errors = { 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } };

const retrain: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.requireApiKey);

  app.post(
    '/retrain',
    {
      schema: {
        tags: ['retraining'],
        security: [{ apiKey: [] }],
        summary: 'Queue a manual retrain; joins the retrain already waiting, if any',
        response: {
          202: {
            type: 'object',
            required: ['id', 'created'],
            properties: {
              id: { type: 'string' },
              created: { type: 'boolean', description: 'false when this joined a retrain already waiting' },
              message: { type: 'string' },
            },
          },
          ...errors,
        },
      },
    },
    async (_request, reply) => {
      const { id, created } = await enqueueRetrain(app.retrainQueue, { reason: 'manual' });
      const message = created ? 'retrain queued' : 'a retrain was already waiting; this request joined it';
      return reply.code(202).send({ id, created, message });
    },
  );

  app.get(
    '/retrain/:id',
    {
      schema: {
        tags: ['retraining'],
        security: [{ apiKey: [] }],
        summary: "A retrain job's state and progress",
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', pattern: '^[A-Za-z0-9:_-]{1,128}$' } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              state: { type: 'string' },
              reason: { type: 'string' },
              progress: {},
              attemptsMade: { type: 'integer' },
              failedReason: { type: ['string', 'null'] },
              returnValue: {},
              createdAt: { type: ['string', 'null'] },
              finishedAt: { type: ['string', 'null'] },
            },
          },
          404: { $ref: 'Error#' },
          ...errors,
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const job = await app.retrainQueue.getJob(id);
      if (!job) throw new HttpError(404, 'not_found', `no retrain job ${id}`, 'id');
      const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
      return {
        id,
        state: await job.getState(),
        reason: job.data.reason,
        progress: job.progress,
        attemptsMade: job.attemptsMade,
        failedReason: job.failedReason ?? null,
        returnValue: job.returnvalue ?? null,
        createdAt: iso(job.timestamp),
        finishedAt: iso(job.finishedOn),
      };
    },
  );
};

export default retrain;
