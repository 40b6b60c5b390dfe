// Counts every prediction request (POST /predict and /predict/batch, wherever they are mounted)
// into an in-memory PredictionStats as it is answered, for GET /metrics/predictions.
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
    app.addHook('onResponse', (request, reply, done) => {
      if (request.method === 'POST' && PREDICTION_ROUTE.test(request.routeOptions.url ?? '')) {
        stats.record(Date.now(), reply.elapsedTime, {
          rows: request.rows,
          version: request.model,
          ok: reply.statusCode === 200,
        });
      }
      done();
    });
  },
  { name: 'prediction-stats' },
);
