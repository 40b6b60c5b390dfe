// Assembles the server in one place: plugins first (each one job), then routes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Config } from '../lib/config.js';
import type { Tf } from '../lib/tfjs.js';
import { ApiKeys } from './apiKeys.js';
import { errorHandler, errorSchema, notFoundHandler } from './errors.js';
import auth from './plugins/auth.js';
import dashboard, { DASHBOARD_PATH } from './plugins/dashboard.js';
import modelHolder from './plugins/modelHolder.js';
import rateLimit from './plugins/rateLimit.js';
import redis from './plugins/redis.js';
import s3 from './plugins/s3.js';
import swagger from './plugins/swagger.js';
import { redactUrl, requestForLog } from './redact.js';
import health from './routes/health.js';
import models from './routes/models.js';
import predict from './routes/predict.js';
import { beerFeatures, prediction } from './routes/predict.schema.js';
import retrain from './routes/retrain.js';
import table from './routes/table.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by prediction routes for the request's log line. */
    model: string | null;
    rows: number;
    /** The error code of a route's HttpError, for the request's log line. */
    errorCode: string | null;
  }
}

export interface AppOptions {
  config: Config;
  tf: Tf;
  /** The process logger (pino); default: a pino logger at LOG_LEVEL. */
  logger?: FastifyBaseLogger;
  batchWindowMs?: number;
  /** Rows per tfjs call at most (1 turns micro-batching off; the benchmark compares). */
  batchMaxRows?: number;
  /** Extra routes registered on the same instance (the benchmark's bare route). */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
}

/**
 * TRUST_PROXY hops in front of the server whose X-Forwarded-For entries are believed. Behind the
 * ALB (1) request.ip is the address the ALB saw, the last entry, never one a client wrote before
 * it; with 0 the peer address is the client. Fastify 5.12 treats a plain number as trusting
 * nothing (a direct client could send enough entries), so the count is a function here: only
 * right where the one way in is through those proxies (the ALB's security group on AWS).
 */
function trustedHops(hops: number): false | ((address: string, hop: number) => boolean) {
  return hops > 0 ? (_address, hop) => hop < hops : false;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, tf } = options;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: { level: config.logLevel } }),
    // One log line per request, written below with the model version, instead of two.
    logController: new LogController({ disableRequestLogging: true }),
    // Wherever Fastify logs a request (its error paths do), only the method and the redacted URL.
    childLoggerFactory: (logger, bindings, childOptions) =>
      logger.child(bindings, {
        ...childOptions,
        serializers: { ...childOptions.serializers, req: requestForLog },
      }),
    // Keep-alive sockets that are idle close at once on shutdown; busy ones finish first.
    forceCloseConnections: 'idle',
    // A request that arrives on a kept-alive connection while the server closes is served (with
    // Connection: close), not refused with a 503: the client sent it before it could know.
    return503OnClosing: false,
    bodyLimit: 1024 * 1024,
    trustProxy: trustedHops(config.server.trustProxy),
    ajv: {
      // A string where a number belongs is an error, not something to coerce; an unknown field
      // is an error, not something to drop silently.
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false },
    },
  });
  app.decorateRequest('model', null);
  app.decorateRequest('rows', 0);
  app.decorateRequest('errorCode', null);
  app.addHook('onResponse', (request, reply, done) => {
    const line = {
      method: request.method,
      url: redactUrl(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 1000) / 1000,
      ...(request.model === null ? {} : { model: request.model, rows: request.rows }),
      ...(request.errorCode === null ? {} : { error: request.errorCode }),
    };
    request.log.info(line, 'request');
    done();
  });
  // JSON only: a text/plain body is refused (400 naming content-type), not parsed into a string.
  app.removeContentTypeParser('text/plain');
  // On close, sockets become idle as their last response goes out; close them as they do, so a
  // keep-alive client cannot hold the exit for keepAliveTimeout.
  let idleSweep: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    idleSweep = setInterval(() => app.server.closeIdleConnections(), 50);
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearInterval(idleSweep);
    done();
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  // Shared schemas live on the root so every route (and the benchmark's bare route) can $ref them.
  app.addSchema(errorSchema);
  app.addSchema(beerFeatures);
  app.addSchema(prediction);

  const keys = new ApiKeys(config.server.apiKeys);
  await app.register(swagger);
  await app.register(auth, { keys });
  await app.register(rateLimit, { perMinute: config.server.rateLimitPerMinute });
  await app.register(s3, { config });
  await app.register(redis, { config });
  await app.register(modelHolder, {
    config,
    tf,
    batchWindowMs: options.batchWindowMs,
    batchMaxRows: options.batchMaxRows,
  });

  await app.register(health);
  await app.register(predict, {
    batchMax: config.server.predictBatchMax,
    requireKey: config.server.predictRequiresKey,
  });
  await app.register(models);
  await app.register(table, { config });
  await app.register(retrain);
  await app.register(dashboard, { queue: app.retrainQueue, keys });
  if (options.extraRoutes) await app.register(async (instance) => options.extraRoutes?.(instance));
  app.log.debug({ dashboard: DASHBOARD_PATH }, 'routes registered');
  return app;
}
