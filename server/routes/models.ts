// The model registry, read-only: every version with its metrics and promotion decision, the
// champion, and one version's full metadata.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isVersion } from '../../lib/modelRegistry.js';
import { errorRef, HttpError } from '../errors.js';
import { nullable } from '../schema.js';

// Served as read (lib/modelRegistry checks it on the way in), every field written out.
const metadata = Type.Object({}, { additionalProperties: true });

const models: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Every model version (oldest first) with metrics and promotion decisions',
        response: {
          200: Type.Object({
            champion: Type.Optional(nullable(Type.String())),
            serving: Type.Optional(nullable(Type.String())),
            models: Type.Optional(Type.Array(metadata)),
          }),
          502: errorRef,
          503: errorRef,
        },
      },
    },
    async () => {
      const [all, champion] = await Promise.all([app.registry.list(), app.registry.champion()]);
      return { champion: champion?.version ?? null, serving: app.models.version ?? null, models: all };
    },
  );

  app.get(
    '/models/champion',
    {
      schema: {
        tags: ['models'],
        summary: 'The champion named by champion.json, with its metadata',
        response: { 200: metadata, 404: errorRef, 502: errorRef, 503: errorRef },
      },
    },
    async () => {
      const version = (await app.registry.champion())?.version;
      const meta = version === undefined ? undefined : await app.registry.metadata(version);
      if (!meta) throw new HttpError(404, 'not_found', 'no champion model yet');
      return meta;
    },
  );

  app.get(
    '/models/:version',
    {
      schema: {
        tags: ['models'],
        summary: "One version's metadata",
        params: Type.Object({ version: Type.String({ maxLength: 64 }) }),
        response: { 200: metadata, 400: errorRef, 404: errorRef, 502: errorRef, 503: errorRef },
      },
    },
    async (request) => {
      const { version } = request.params;
      // Versions are S3 key segments of one shape (lib/modelRegistry); anything else never reaches S3.
      if (!isVersion(version)) {
        throw new HttpError(
          400,
          'invalid_request',
          'version: expected like 20261124T012345678Z-a1b2c3',
          'version',
        );
      }
      const meta = await app.registry.metadata(version);
      if (!meta) throw new HttpError(404, 'not_found', `no model version ${version}`, 'version');
      return meta;
    },
  );
};

export default models;
