// POST /predict and POST /predict/batch. Each request joins the current micro-batch; the log
// line of a prediction carries the model version and the latency.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bitternessOf } from '../bitterness.js';
import { errorRef, HttpError } from '../errors.js';
import type { FeatureRow } from '../modelHolder.js';
import { batchRequest, batchResponse, beerFeaturesRef, predictionRef } from './predict.schema.js';

export interface PredictRoutesOptions {
  batchMax: number;
  requireKey: boolean;
}

const errors = { 400: errorRef, 401: errorRef, 403: errorRef, 503: errorRef };

const predict: FastifyPluginAsyncTypebox<PredictRoutesOptions> = async (app, { batchMax, requireKey }) => {
  if (requireKey) app.addHook('onRequest', app.requireApiKey);

  const run = async (request: FastifyRequest, reply: FastifyReply, rows: readonly FeatureRow[]) => {
    if (app.models.version === undefined) throw new HttpError(503, 'not_ready', 'no model loaded yet');
    const result = await app.predictions.submit(rows);
    // The one log line of this request (app.ts, onResponse) carries the version and row count.
    request.model = result.version;
    request.rows = rows.length;
    app.inferenceLog.record(request, reply, rows, result.ibu, result.version);
    return result;
  };

  app.post(
    '/predict',
    {
      schema: {
        tags: ['predictions'],
        summary: 'Predict the bitterness (IBU) of one beer',
        body: beerFeaturesRef,
        response: { 200: predictionRef, ...errors },
      },
    },
    async (request, reply) => {
      const { ibu, version } = await run(request, reply, [request.body]);
      const value = ibu[0] as number;
      return { ibu: value, bitterness: bitternessOf(value), model: version };
    },
  );

  app.post(
    '/predict/batch',
    {
      schema: {
        tags: ['predictions'],
        summary: `Predict the bitterness of up to ${batchMax} beers`,
        body: batchRequest(batchMax),
        response: { 200: batchResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { instances } = request.body;
      const { ibu, version } = await run(request, reply, instances);
      const predictions = Array.from(ibu, (value) => ({ ibu: value, bitterness: bitternessOf(value) }));
      return { predictions, model: version };
    },
  );
};

export default predict;
