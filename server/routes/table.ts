// GET /table: a page of the cleaned table, with the row count and the time of the last write.
// GET /table/quality: the latest snapshot's data-quality summary (lib/tableQuality.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CLEANED_COLUMNS, NUMERIC_COLUMNS } from '../../lib/beer.js';
import { type CleanedTable, latestManifest, loadCleanedTable } from '../../lib/cleanedTable.js';
import type { Config } from '../../lib/config.js';
import { errorRef } from '../errors.js';
import { nullable } from '../schema.js';

const row = Type.Object({
  id: Type.Optional(Type.Integer()),
  name: Type.Optional(nullable(Type.String())),
  ...Type.Partial(Type.Record(Type.Enum(NUMERIC_COLUMNS), nullable(Type.Number()))).properties,
});

const TABLE_CACHE_MS = 2000;

const table: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  // Pages of one listing share one read: the table is re-read at most every TABLE_CACHE_MS.
  let cached: { at: number; table: Promise<CleanedTable> } | undefined;
  const read = () => {
    if (!cached || Date.now() - cached.at > TABLE_CACHE_MS) {
      const table = loadCleanedTable(app.s3, config.buckets.cleaned);
      cached = { at: Date.now(), table };
      table.catch(() => {
        cached = undefined;
      });
    }
    return cached.table;
  };
  app.get(
    '/table',
    {
      schema: {
        tags: ['data'],
        summary: 'A page of the cleaned table (one row per beer id)',
        querystring: Type.Object(
          {
            // Query values stay strings (body validation does not coerce types); parsed below.
            offset: Type.Optional(
              Type.String({ pattern: '^[0-9]{1,9}$', description: 'rows to skip (default 0)' }),
            ),
            limit: Type.Optional(
              Type.String({ pattern: '^[0-9]{1,4}$', description: 'rows to return, 1-1000 (default 50)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            total: Type.Integer(),
            offset: Type.Integer(),
            limit: Type.Integer(),
            lastUpdate: nullable(Type.String({ format: 'date-time' })),
            columns: Type.Optional(Type.Array(Type.String())),
            rows: Type.Array(row),
          }),
          400: errorRef,
        },
      },
    },
    async (request, reply) => {
      const offset = Number(request.query.offset ?? 0);
      const limit = Number(request.query.limit ?? 50);
      if (limit < 1 || limit > 1000) {
        return reply
          .code(400)
          .send({ error: 'invalid_request', message: 'limit: must be 1-1000', field: 'limit' });
      }
      const { rows, lastModified } = await read();
      return {
        total: rows.length,
        offset,
        limit,
        lastUpdate: lastModified?.toISOString() ?? null,
        columns: [...CLEANED_COLUMNS],
        rows: rows.slice(offset, offset + limit),
      };
    },
  );
};

export const qualityResponse = Type.Object({
  snapshot: nullable(Type.String()),
  computedAt: nullable(Type.String({ format: 'date-time' })),
  rows: Type.Integer({ minimum: 0 }),
  columns: Type.Array(
    Type.Object({ column: Type.String(), nulls: Type.Integer(), outOfRange: Type.Integer() }),
  ),
  excluded: Type.Array(Type.Object({ reason: Type.String(), rows: Type.Integer() })),
});

export const tableQualityRoute: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.get(
    '/table/quality',
    {
      schema: {
        tags: ['data'],
        summary:
          "The latest table snapshot's data-quality summary: rows, nulls and out-of-range values per column, rows excluded from training",
        response: { 200: qualityResponse, 502: errorRef, 503: errorRef },
      },
    },
    async () => {
      const manifest = await latestManifest(app.s3, config.buckets.cleaned);
      if (!manifest) return { snapshot: null, computedAt: null, rows: 0, columns: [], excluded: [] };
      const snapshot = String(manifest.snapshot);
      // A snapshot written before summaries existed: its row count, nothing more.
      if (!manifest.quality)
        return { snapshot, computedAt: null, rows: manifest.rows, columns: [], excluded: [] };
      const { computedAt, rows, columns, excluded } = manifest.quality;
      return { snapshot, computedAt, rows, columns, excluded };
    },
  );
};

export default table;
