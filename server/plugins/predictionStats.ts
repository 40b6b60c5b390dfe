// Counts every prediction request (POST /predict and /predict/batch, wherever they are mounted)
// into an in-memory PredictionStats as it is answered, for GET /metrics/predictions. A route-level
// onResponse hook on those routes only.
import type { onResponseHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { PredictionStats } from '../predictionStats.js';

declare module 'fastify' {
  interface FastifyInstance {
    predictionStats: PredictionStats;
  }
}

const PREDICTION_ROUTE = /\/predict(\/batch)?$/;

export default fp(
  async (app) => {
    const stats = new PredictionStats();
    app.decorate('predictionStats', stats);
    const record: onResponseHookHandler = (request, reply, done) => {
      stats.record(Date.now(), reply.elapsedTime, {
        rows: request.rows,
        version: request.model,
        ok: reply.statusCode === 200,
      });
      done();
    };
    // Attached to the prediction routes alone as they are declared: no other request pays for it.
    app.addHook('onRoute', (route) => {
      if (route.method !== 'POST' || !PREDICTION_ROUTE.test(route.url)) return;
      const own = route.onResponse;
      route.onResponse = own === undefined ? [record] : [...(Array.isArray(own) ? own : [own]), record];
    });
  },
  { name: 'prediction-stats' },
);
