// Every error leaves the server in one shape, {error, message, field?}, and never with a stack.
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { type Static, Type } from 'typebox';
import { refTo } from './schema.js';

export const errorSchema = Type.Object(
  {
    error: Type.String({ description: 'machine-readable code' }),
    message: Type.String(),
    field: Type.Optional(
      Type.String({ description: 'the request field at fault, e.g. abv or instances[2].ph' }),
    ),
  },
  { $id: 'Error' },
);

export type ApiError = Static<typeof errorSchema>;

export const errorRef = refTo(errorSchema);

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** `/instances/3/abv` → `instances[3].abv`; a missing or extra property names itself. */
export function fieldOf(error: FastifySchemaValidationError, context: string | undefined): string {
  const parts = error.instancePath.split('/').filter(Boolean);
  const named = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof named === 'string') parts.push(named);
  let field = '';
  for (const part of parts) field += /^\d+$/.test(part) ? `[${part}]` : field ? `.${part}` : part;
  return field || context || 'body';
}

function describe(error: FastifySchemaValidationError, field: string): string {
  if (error.keyword === 'additionalProperties') return `${field}: unknown field`;
  if (error.keyword === 'required') return `${field}: required`;
  return `${field}: ${error.message ?? 'invalid'}`;
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof HttpError) {
    reply.code(err.statusCode).send(body(err.error, err.message, err.field));
    return;
  }
  const first = err.validation?.[0];
  if (first) {
    const field = fieldOf(first, err.validationContext);
    reply.code(400).send(body('invalid_request', describe(first, field), field));
    return;
  }
  const status = err.statusCode ?? 500;
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    // Listed with the other bad inputs: a 400 that names the header at fault.
    reply
      .code(400)
      .send(body('unsupported_media_type', `content-type must be application/json`, 'content-type'));
    return;
  }
  if (status >= 400 && status < 500) {
    const field = err.code?.startsWith('FST_ERR_CTP') ? 'body' : undefined;
    reply.code(status).send(body(codeFor(status), err.message, field));
    return;
  }
  request.log.error({ err }, 'unhandled error');
  reply.code(500).send(body('internal', 'internal server error'));
}

function codeFor(status: number): string {
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limited';
  return 'bad_request';
}

function body(error: string, message: string, field?: string): ApiError {
  return field === undefined ? { error, message } : { error, message, field };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  reply.code(404).send(body('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
}
