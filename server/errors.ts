// Every error leaves the server in one shape, {error, message, field?}, and never with a stack. The
// status comes from what the error is (lib/errors.ts): a client's mistake 4xx, a dependency that
// is down or refusing 503 naming it and the object, a stored object that cannot be read 502
// naming its key, and anything else, a bug, 500 "internal".
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaValidationError,
} from 'fastify';
import { type Static, Type } from 'typebox';
import { BrewstreamError, CorruptObjectError, DependencyError } from '../lib/errors.js';
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

/** An answer a route gives on purpose: its status, code and message are what the client gets. */
export class HttpError extends BrewstreamError {
  readonly retriable: boolean;

  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.retriable = statusCode === 503 || statusCode === 429;
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

/** The status and body an error leaves the server with; 500 for a bug. */
export function errorResponse(err: FastifyError): { status: number; body: ApiError } {
  if (err instanceof HttpError)
    return { status: err.statusCode, body: body(err.error, err.message, err.field) };
  if (err instanceof DependencyError) {
    // The operation names the object (`GET s3://models/models/ibu/champion.json`); the cause's
    // own message, with addresses inside the network, goes to the log only.
    const why = err.status === undefined ? (err.code ?? 'no answer') : `HTTP ${err.status}`;
    return {
      status: 503,
      body: body('unavailable', `${err.dependency} is unavailable: ${err.operation}: ${why}; retry later`),
    };
  }
  if (err instanceof CorruptObjectError) {
    return {
      status: 502,
      body: body('invalid_stored_object', `${err.location} cannot be used: ${err.reason}`),
    };
  }
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
  // The code travels to the request's log line, so an alarm can tell a bug ("internal") from a
  // dependency outage ("unavailable") and from the 503 before the first model ("not_ready").
  if (status >= 500 || err instanceof HttpError) request.errorCode = body.error;
  // A 503 of ours (Redis away, no model yet) is a state the request line records, not a fault.
  if (err instanceof DependencyError) request.log.warn({ err }, `${err.dependency} call failed`);
  else if (status >= 500 && !(err instanceof HttpError)) request.log.error({ err }, 'unhandled error');
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

/** The longest path segment the router takes (a route parameter such as a version or job id). */
export const MAX_PARAM_LENGTH = 100;

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors`), in our shape
 * and without echoing the path: a segment over MAX_PARAM_LENGTH, or broken percent-encoding.
 */
export function frameworkErrorResponse(err: FastifyError): { status: number; body: ApiError } {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return {
      status: 414,
      body: body('uri_too_long', `a path segment is longer than ${MAX_PARAM_LENGTH} characters`),
    };
  if (err.code === 'FST_ERR_BAD_URL')
    return { status: 400, body: body('bad_request', 'the path is not valid percent-encoding') };
  return errorResponse(err);
}

/** What Node's HTTP parser or its request timeout refuses, before Fastify has a request. */
export function clientErrorResponse(code: string | undefined): { status: number; body: ApiError } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      body: body('request_timeout', 'the request did not arrive in time (REQUEST_TIMEOUT_MS)'),
    };
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, body: body('headers_too_large', 'the request headers are too large') };
  return { status: 400, body: body('bad_request', 'the request is not valid HTTP') };
}

/**
 * Fastify's `clientErrorHandler`: the answer in our shape, written only where no response has
 * begun on the socket (as Node itself does), then the socket closed; one log line with the status
 * and error code (no method or url: the request was never parsed, or is abandoned).
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body: answer } = clientErrorResponse(error.code);
  this.log.info({ status, error: answer.error, code: error.code }, 'request');
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const json = JSON.stringify(answer);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
