// bull-board at /admin/queues, showing the `retrain` queue under its key prefix. The "add job"
// action is routed through enqueueRetrain so a job added from the page is the same `manual`
// retrain as POST /retrain, with the one-waiting deduplication, whatever name or data was typed.

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync } from 'fastify';
import { isRecord } from '../../lib/guards.js';
import { enqueueRetrain, type RetrainQueue } from '../../lib/retrainQueue.js';
import type { ApiKeys } from '../apiKeys.js';
import { HttpError } from '../errors.js';
import { KEY_COOKIE } from './auth.js';

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

const dashboard: FastifyPluginAsync<{ queue: RetrainQueue; keys: ApiKeys }> = async (
  app,
  { queue, keys },
) => {
  // `?api_key=` once: checked, turned into an HttpOnly cookie, and dropped from the URL.
  app.addHook('onRequest', (request, reply, done) => {
    // bull-board's routes have no querystring schema: the parsed query is checked here.
    const key = isRecord(request.query) ? request.query.api_key : undefined;
    if (typeof key !== 'string') return done();
    if (keys.configured && !keys.matches(key))
      return done(new HttpError(403, 'forbidden', 'the API key is not valid'));
    const url = new URL(request.url, 'http://localhost');
    url.searchParams.delete('api_key');
    reply
      .setCookie(KEY_COOKIE, key, { path: DASHBOARD_PATH, httpOnly: true, sameSite: 'strict' })
      .redirect(`${url.pathname}${url.search}`, 303);
  });
  app.addHook('onRequest', app.requireApiKey);

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [new RetrainQueueAdapter(queue)],
    // @bull-board/fastify carries its own copy of @bull-board/api types; same shape at runtime.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'brewstream' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
};

export default dashboard;
