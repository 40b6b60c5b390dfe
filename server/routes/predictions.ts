// GET /predictions/recent: the newest rows of the inference log's in-memory window (this server
// process's; plugins/inferenceLog.ts), newest first.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorRef } from '../errors.js';

const number = Type.Number();

export const recentPredictions = Type.Object({
  predictions: Type.Array(
    Type.Object({
      time: Type.String({ format: 'date-time' }),
      requestId: Type.String(),
      version: Type.String(),
      inputs: Type.Record(Type.String(), Type.Union([number, Type.Null()])),
      features: Type.Union([Type.Record(Type.String(), number), Type.Null()]),
      ibu: number,
      band: Type.String(),
      latencyMs: number,
    }),
  ),
});

const predictions: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/predictions/recent',
    {
      schema: {
        tags: ['predictions'],
        summary: "This server's most recent prediction rows, newest first",
        querystring: Type.Object(
          {
            // Query values stay strings (no coercion, app.ts); parsed below.
            limit: Type.Optional(
              Type.String({ pattern: '^[0-9]{1,4}$', description: 'rows to return, 1-200 (default 20)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: recentPredictions, 400: errorRef },
      },
    },
    async (request, reply) => {
      const limit = Number(request.query.limit ?? 20);
      if (limit < 1 || limit > 200) {
        return reply
          .code(400)
          .send({ error: 'invalid_request', message: 'limit: must be 1-200', field: 'limit' });
      }
      const predictions = app.inferenceLog
        .recent(limit)
        .map(({ time, requestId, version, inputs, features, ibu, band, latencyMs }) => ({
          time,
          requestId,
          version,
          inputs,
          features,
          ibu,
          band,
          latencyMs,
        }));
      return { predictions };
    },
  );
};

export default predictions;
