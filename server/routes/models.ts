// The model registry, read-only: every version with its metrics and promotion decision, the
// champion, and one version's full metadata.
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../lib/config.js';
import { HttpError } from '../errors.js';
import { listModels, readChampion, readMetadata } from '../modelArtifacts.js';

// Versions are path segments of S3 keys; anything else is refused before it reaches S3.
export const VERSION_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';

const metadata = { type: 'object', additionalProperties: true } as const;

const models: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const bucket = config.buckets.models;

  app.get(
    '/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Every model version (oldest first) with metrics and promotion decisions',
        response: {
          200: {
            type: 'object',
            properties: {
              champion: { type: ['string', 'null'] },
              serving: { type: ['string', 'null'] },
              models: { type: 'array', items: metadata },
            },
          },
        },
      },
    },
    async () => {
      const [all, champion] = await Promise.all([listModels(app.s3, bucket), readChampion(app.s3, bucket)]);
      const created = (m: Record<string, unknown>) => String(m.createdAt ?? m.created ?? '');
      all.sort((a, b) => created(a).localeCompare(created(b)) || a.version.localeCompare(b.version));
      return { champion: champion ?? null, serving: app.models.version ?? null, models: all };
    },
  );

  app.get(
    '/models/champion',
    {
      schema: {
        tags: ['models'],
        summary: 'The champion named by champion.json, with its metadata',
        response: { 200: metadata, 404: { $ref: 'Error#' } },
      },
    },
    async () => {
      const version = await readChampion(app.s3, bucket);
      const meta = version === undefined ? undefined : await readMetadata(app.s3, bucket, version);
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
        params: {
          type: 'object',
          required: ['version'],
          properties: { version: { type: 'string', pattern: VERSION_PATTERN } },
        },
        response: { 200: metadata, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const { version } = request.params as { version: string };
      const meta = await readMetadata(app.s3, bucket, version);
      if (!meta) throw new HttpError(404, 'not_found', `no model version ${version}`, 'version');
      return meta;
    },
  );
};

export default models;
