// bull-board at /admin/queues, showing the `retrain` queue under its key prefix. The "add job"
// action is routed through enqueueRetrain so a job added from the page is the same `manual`
// retrain as POST /retrain, with the one-waiting deduplication, whatever name or data was typed.

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { enqueueRetrain, type RetrainQueue } from '../../lib/retrainQueue.js';
import type { ApiKeys } from '../apiKeys.js';
import { type ApiError, errorResponse, HttpError } from '../errors.js';
import securityHeaders from './securityHeaders.js';
import sessionGuard from './session.js';

export const DASHBOARD_PATH = '/admin/queues';

class RetrainQueueAdapter extends BullMQAdapter {
  constructor(private readonly retrain: RetrainQueue) {
    super(retrain, {
      description: 'retrains of the IBU model; "Add job" queues a manual retrain',
      jobDataSchema: {
        type: 'object',
        properties: { reason: { type: 'string', enum: ['manual'] } },
      },
    });
  }

  override async addJob(): Promise<never> {
    const { id } = await enqueueRetrain(this.retrain, { reason: 'manual' });
    const job = await this.retrain.getJob(id);
    if (!job) throw new Error(`retrain job ${id} vanished`);
    return job as never;
  }
}

export interface DashboardOptions {
  queue: RetrainQueue;
  keys: ApiKeys;
  session: { secret: string; ttlS: number };
}

const dashboard: FastifyPluginAsync<DashboardOptions> = async (app, { queue, keys, session }) => {
  await app.register(securityHeaders);
  // A browser opens the page once with `?api_key=`; its session cookie is honoured here only.
  await app.register(sessionGuard, { prefix: DASHBOARD_PATH, keys, ...session });
  app.addHook('onRequest', app.requireApiKey);
  // The page's API reads the queue: with Redis away, a 503 saying so at once (BullMQ would wait
  // for the connection without a bound). The page itself and its static files need no Redis.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.startsWith(`${DASHBOARD_PATH}/api/`) && !app.redisUp()) {
      return done(
        new HttpError(503, 'unavailable', 'the retrain queue cannot be read: Redis is unavailable'),
      );
    }
    done();
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [new RetrainQueueAdapter(queue)],
    // @bull-board/fastify carries its own copy of @bull-board/api types; same shape at runtime.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'brewstream' } },
  });
  // bull-board answers errors in its own shape ({error: {key}}, and 500 for anything); ours is the
  // API's {error, message}, and a queue read that fails on Redis is a 503, not a server fault.
  const dashboardError = (error: FastifyError): { status: number; body: ApiError } => {
    const response = errorResponse(error);
    if (error instanceof HttpError || response.status < 500) return response;
    app.log.warn({ err: error }, 'dashboard request failed');
    return {
      status: 503,
      body: {
        error: 'unavailable',
        message: 'the retrain queue could not be read: Redis did not answer; retry later',
      },
    };
  };
  // bull-board's typings list only the statuses its own handlers use (no 401, 429 or 503); its
  // Fastify adapter sends whatever status the handler gives.
  serverAdapter.setErrorHandler(
    dashboardError as unknown as Parameters<typeof serverAdapter.setErrorHandler>[0],
  );
  await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
};

export default dashboard;
