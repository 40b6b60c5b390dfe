// GET /table: a page of the cleaned table, with the row count and the time of the last write.
import type { FastifyPluginAsync } from 'fastify';
import { CLEANED_COLUMNS } from '../../lib/beer.js';
import { type CleanedTable, loadCleanedTable } from '../../lib/cleanedTable.js';
import type { Config } from '../../lib/config.js';

const nullableNumber = { type: ['number', 'null'] };
const row = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: ['string', 'null'] },
    ...Object.fromEntries(CLEANED_COLUMNS.slice(2).map((c) => [c, nullableNumber])),
  },
};

const TABLE_CACHE_MS = 2000;

const table: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
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
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            // Query values stay strings (body validation does not coerce types); parsed below.
            offset: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'rows to skip (default 0)' },
            limit: {
              type: 'string',
              pattern: '^[0-9]{1,4}$',
              description: 'rows to return, 1-1000 (default 50)',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['rows', 'total', 'offset', 'limit', 'lastUpdate'],
            properties: {
              total: { type: 'integer' },
              offset: { type: 'integer' },
              limit: { type: 'integer' },
              lastUpdate: { type: ['string', 'null'], format: 'date-time' },
              columns: { type: 'array', items: { type: 'string' } },
              rows: { type: 'array', items: row },
            },
          },
          400: { $ref: 'Error#' },
        },
      },
    },
    async (request, reply) => {
      const query = request.query as { offset?: string; limit?: string };
      const offset = Number(query.offset ?? 0);
      const limit = Number(query.limit ?? 50);
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

export default table;
