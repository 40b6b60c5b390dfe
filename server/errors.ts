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

/** The status and body an error leaves the server with; 500 for anything not a client's fault. */
export function errorResponse(err: FastifyError): { status: number; body: ApiError } {
  if (err instanceof HttpError)
    return { status: err.statusCode, body: body(err.error, err.message, err.field) };
  const first = err.validation?.[0];
  if (first) {
    const field = fieldOf(first, err.validationContext);
    return { status: 400, body: body('invalid_request', describe(first, field), field) };
  }
  const status = err.statusCode ?? 500;
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    // Listed with the other bad inputs: a 400 that names the header at fault.
    return {
      status: 400,
      body: body('unsupported_media_type', `content-type must be application/json`, 'content-type'),
    };
  }
  if (status >= 400 && status < 500) {
    const field = err.code?.startsWith('FST_ERR_CTP') ? 'body' : undefined;
    return { status, body: body(codeFor(status), err.message, field) };
  }
  return { status: 500, body: body('internal', 'internal server error') };
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorResponse(err);
  // A 503 of ours (Redis away, no model yet) is a state the request line records, not a fault.
  if (status >= 500 && !(err instanceof HttpError)) request.log.error({ err }, 'unhandled error');
  reply.code(status).send(body);
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
