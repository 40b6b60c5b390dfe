// GET /models/champion/drift: the served champion's input drift over the inference log's window
// (plugins/driftWatch.ts). Its own file beside routes/models.ts, under the same path.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorRef, HttpError } from '../errors.js';
import { nullable } from '../schema.js';

export const driftResponse = Type.Object({
  version: nullable(Type.String()),
  window: Type.Object({
    from: nullable(Type.String({ format: 'date-time' })),
    to: nullable(Type.String({ format: 'date-time' })),
    rows: Type.Integer({ minimum: 0 }),
  }),
  threshold: Type.Number(),
  drift: Type.Boolean(),
  features: Type.Array(
    Type.Object({ feature: Type.String(), psi: nullable(Type.Number()), drift: Type.Boolean() }),
  ),
});

const drift: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/models/champion/drift',
    {
      schema: {
        tags: ['models'],
        summary:
          "PSI of each input over the recent predictions' window against the served champion's training distribution",
        response: { 200: driftResponse, 404: errorRef },
      },
    },
    async () => {
      const report = app.drift();
      if (!report) throw new HttpError(404, 'not_found', 'no champion model served yet');
      return report;
    },
  );
};

export default drift;
