// POST /retrain queues a `manual` retrain (or joins the one already waiting); GET /retrain/:id
// reports a job's state and progress, and why a deferred new-data retrain waits (lib/retrainCadence.ts)
// or why a finished one was skipped (its return value). Only a retrain job's id is looked up: the queue's prefix in
// Redis also holds its own bookkeeping (`meta`, `events`, ...), which is nobody's job.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DependencyError } from '../../lib/errors.js';
import { enqueueRetrain, isRetrainJobId } from '../../lib/retrainQueue.js';
import { errorRef, HttpError } from '../errors.js';
import { nullable } from '../schema.js';

const errors = { 401: errorRef, 403: errorRef, 503: errorRef };

/** Redis refused a job read because the key holds something else than a job: no such job. */
function isWrongType(error: unknown): boolean {
  const cause = error instanceof DependencyError ? error.cause : error;
  return cause instanceof Error && cause.message.startsWith('WRONGTYPE');
}

const retrain: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.requireApiKey);

  app.post(
    '/retrain',
    {
      // The body is optional: a POST without one (as before `force` existed) is `{}`.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['retraining'],
        security: [{ apiKey: [] }],
        summary: 'Queue a manual retrain; joins the retrain already waiting, if any',
        body: Type.Object(
          {
            force: Type.Optional(
              Type.Boolean({
                description: 'train even when the table is unchanged since the last trained version',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            id: Type.String(),
            created: Type.Boolean({ description: 'false when this joined a retrain already waiting' }),
            message: Type.Optional(Type.String()),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const force = request.body.force === true;
      const { id, created } = await app.redisCall('queue a retrain', () =>
        enqueueRetrain(app.retrainQueue, force ? { reason: 'manual', force } : { reason: 'manual' }),
      );
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
        // Any text: what is not a job id is a 404 below, as an unknown job is.
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: {
          200: Type.Object({
            id: Type.Optional(Type.String()),
            state: Type.Optional(Type.String()),
            reason: Type.Optional(Type.String()),
            force: Type.Optional(Type.Boolean()),
            progress: Type.Optional(Type.Unknown()),
            attemptsMade: Type.Optional(Type.Integer()),
            failedReason: Type.Optional(nullable(Type.String())),
            returnValue: Type.Optional(Type.Unknown()),
            deferred: Type.Optional(
              nullable(
                Type.String({
                  description:
                    'why a new-data retrain waits (RETRAIN_MIN_INTERVAL_S after the last start) and until when',
                }),
              ),
            ),
            runsAt: Type.Optional(
              nullable(Type.String({ description: 'when a deferred (delayed) retrain runs' })),
            ),
            createdAt: Type.Optional(nullable(Type.String())),
            finishedAt: Type.Optional(nullable(Type.String())),
          }),
          404: errorRef,
          ...errors,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const missing = new HttpError(404, 'not_found', `no retrain job ${JSON.stringify(id)}`, 'id');
      if (!isRetrainJobId(id)) throw missing;
      const read = async <T>(call: () => Promise<T>): Promise<T> => {
        try {
          return await app.redisCall('read a retrain job', call);
        } catch (error) {
          throw isWrongType(error) ? missing : error;
        }
      };
      const job = await read(() => app.retrainQueue.getJob(id));
      if (!job) throw missing;
      const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
      const state = await read(() => job.getState());
      return {
        id,
        state,
        reason: job.data.reason,
        force: job.data.force === true,
        progress: job.progress,
        attemptsMade: job.attemptsMade,
        failedReason: job.failedReason ?? null,
        returnValue: job.returnvalue ?? null,
        deferred: state === 'delayed' ? (job.data.deferred ?? null) : null,
        runsAt: state === 'delayed' ? iso(job.timestamp + job.delay) : null,
        createdAt: iso(job.timestamp),
        finishedAt: iso(job.finishedOn),
      };
    },
  );
};

export default retrain;
