// The model registry, read-only: pages of versions, each summarised (its metrics and promotion
// decision), the champion, and one version's full metadata.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isVersion } from '../../lib/modelRegistry.js';
import { inParallel } from '../../lib/s3.js';
import { errorRef, HttpError } from '../errors.js';
import { type ModelSummary, pageOfVersions, summarise } from '../models/summary.js';
import { nullable } from '../schema.js';

// Served as read (lib/modelRegistry checks it on the way in), every field written out.
const metadata = Type.Object({}, { additionalProperties: true });
const METADATA_READS = 16;
const maeOrNull = nullable(Type.Number());
const summary = Type.Object({
  version: Type.String(),
  createdAt: Type.String(),
  promoted: Type.Boolean(),
  reason: Type.String(),
  rows: Type.Integer(),
  testRows: Type.Integer(),
  mae: maeOrNull,
  maeCi95: Type.Unsafe<[number, number] | null>({
    type: ['array', 'null'],
    items: { type: 'number' },
    minItems: 2,
    maxItems: 2,
  }),
  baselines: Type.Record(Type.String(), maeOrNull),
  champion: Type.Unsafe<{ version: string; mae: number | null } | null>({
    type: ['object', 'null'],
    properties: { version: { type: 'string' }, mae: { type: ['number', 'null'] } },
  }),
  epochs: Type.Integer(),
  bestEpoch: Type.Integer(),
  trainingSeconds: Type.Number(),
});

const models: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/models',
    {
      schema: {
        tags: ['models'],
        summary: 'A page of model versions, newest first, each summarised (figures, decision, reason)',
        querystring: Type.Object(
          {
            limit: Type.Optional(
              Type.String({ pattern: '^[0-9]{1,4}$', description: 'versions per page, 1-1000 (default 50)' }),
            ),
            cursor: Type.Optional(
              Type.String({
                maxLength: 64,
                description: 'the `next` of the previous page: versions older than this one',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            champion: nullable(Type.String()),
            serving: nullable(Type.String()),
            total: Type.Integer({ description: 'versions registered' }),
            next: nullable(Type.String({ description: 'the cursor of the next (older) page' })),
            models: Type.Array(summary),
          }),
          400: errorRef,
          502: errorRef,
          503: errorRef,
        },
      },
    },
    async (request) => {
      const limit = Number(request.query.limit ?? 50);
      if (limit < 1 || limit > 1000)
        throw new HttpError(400, 'invalid_request', 'limit: must be 1-1000', 'limit');
      const { cursor } = request.query;
      if (cursor !== undefined && !isVersion(cursor))
        throw new HttpError(
          400,
          'invalid_request',
          'cursor: expected a version, the `next` of a page',
          'cursor',
        );
      const [sorted, champion] = await Promise.all([app.registry.versions(), app.registry.champion()]);
      const page = pageOfVersions(sorted, limit, cursor);
      // At most METADATA_READS in flight: a page of 1,000 must not open 1,000 sockets at once.
      const summaries = new Map<string, ModelSummary>();
      await inParallel(page.versions, METADATA_READS, async (version) => {
        const meta = await app.registry.metadata(version);
        if (meta) summaries.set(version, summarise(meta));
      });
      return {
        champion: champion?.version ?? null,
        serving: app.models.version ?? null,
        total: sorted.length,
        next: page.next,
        models: page.versions.flatMap((v) => summaries.get(v) ?? []),
      };
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
