// Assembles the server in one place: plugins first (each one job), then routes.
import { randomBytes } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { SDK_RETRIES_OFF, secretsManagerClient } from '../lib/aws.js';
import type { Config } from '../lib/config.js';
import type { Tf } from '../lib/tfjs.js';
import { type ApiKeys, fixedKeys } from './apiKeys.js';
import {
  clientErrorHandler,
  errorHandler,
  errorSchema,
  frameworkErrorResponse,
  MAX_PARAM_LENGTH,
  notFoundHandler,
} from './errors.js';
import auth from './plugins/auth.js';
import dashboard, { DASHBOARD_PATH } from './plugins/dashboard.js';
import driftWatch from './plugins/driftWatch.js';
import inferenceLog from './plugins/inferenceLog.js';
import modelHolder from './plugins/modelHolder.js';
import predictionStats from './plugins/predictionStats.js';
import rateLimit from './plugins/rateLimit.js';
import redis from './plugins/redis.js';
import s3 from './plugins/s3.js';
import sameOrigin from './plugins/sameOrigin.js';
import swagger from './plugins/swagger.js';
import { redactUrl, requestForLog } from './redact.js';
import drift from './routes/drift.js';
import health from './routes/health.js';
import metrics from './routes/metrics.js';
import models from './routes/models.js';
import page from './routes/page.js';
import predict from './routes/predict.js';
import { beerFeatures, prediction } from './routes/predict.schema.js';
import predictions from './routes/predictions.js';
import retrain from './routes/retrain.js';
import table, { tableQualityRoute } from './routes/table.js';
import { secretKeys } from './secretKeys.js';

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

/** The one log line per request (docs/design.md "Logs"). */
function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  const line = {
    method: request.method,
    url: redactUrl(request.url),
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 1000) / 1000,
    // `== null`: a request the router refused (frameworkErrors) has none of the decorations.
    ...(request.model == null ? {} : { model: request.model, rows: request.rows }),
    ...(request.errorCode == null ? {} : { error: request.errorCode }),
  };
  request.log.info(line, 'request');
}

/** Fastify's `frameworkErrors`: what the router refuses, answered and logged as any request. */
function refuseBeforeRouting(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = frameworkErrorResponse(error);
  request.errorCode = body.error;
  reply.code(status).send(body);
  logRequest(request, reply);
}

/** API_KEYS, or the keys in the secret API_KEYS_SECRET_ARN names (which then wins). */
function apiKeys(config: Config, log: FastifyBaseLogger): ApiKeys {
  const { apiKeys: listed, apiKeysSecretArn, apiKeysRefreshS } = config.server;
  if (apiKeysSecretArn === undefined) return fixedKeys(listed);
  if (listed.length > 0) log.warn('API_KEYS is ignored: the keys come from API_KEYS_SECRET_ARN');
  return secretKeys({
    client: secretsManagerClient(config, SDK_RETRIES_OFF),
    secretArn: apiKeysSecretArn,
    refreshMs: apiKeysRefreshS * 1000,
    log,
  });
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, tf } = options;
  const { requestTimeoutMs, connectionTimeoutMs } = config.server;
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
    // A request must arrive whole within REQUEST_TIMEOUT_MS (Node answers 408 through
    // clientErrorHandler); Node checks every connection for it on an interval, here a tenth of the
    // timeout, so a slow body is cut within 1.1 times it. CONNECTION_TIMEOUT_MS closes a socket
    // that is silent while a request is read or answered.
    requestTimeout: requestTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.round(requestTimeoutMs / 10))),
    },
    // An idle kept-alive socket is closed after this; it must stay above the ALB's idle timeout
    // (60 s), or the ALB may send a request on a socket the server is closing (a 502).
    keepAliveTimeout: 72_000,
    clientErrorHandler,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What the router refuses before any route or hook (a segment over MAX_PARAM_LENGTH, broken
    // percent-encoding): our shape, and the request's log line, which no hook would write.
    frameworkErrors: refuseBeforeRouting,
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
    logRequest(request, reply);
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

  const keys = apiKeys(config, app.log);
  app.addHook('onClose', (_instance, done) => {
    keys.close();
    done();
  });
  // Root hooks, in this order, before any route is registered (so every route gets them): who the
  // request says it is, the rate limit (so a wrong key counts), the cross-origin check. Swagger
  // comes after them, so /docs is limited like the rest. The HTML pages (Swagger UI, the
  // dashboard) add their security headers in their own contexts.
  await app.register(auth, { keys });
  await app.register(rateLimit, { perMinute: config.server.rateLimitPerMinute });
  await app.register(sameOrigin);
  await app.register(swagger);
  await app.register(s3, { config });
  await app.register(redis, { config });
  await app.register(modelHolder, {
    config,
    tf,
    batchWindowMs: options.batchWindowMs,
    batchMaxRows: options.batchMaxRows,
  });
  await app.register(inferenceLog, { config });
  await app.register(driftWatch, { config });

  await app.register(predictionStats);
  await app.register(health);
  await app.register(predict, {
    batchMax: config.server.predictBatchMax,
    requireKey: config.server.predictRequiresKey,
  });
  await app.register(models);
  await app.register(drift);
  await app.register(predictions);
  await app.register(table, { config });
  await app.register(tableQualityRoute, { config });
  await app.register(retrain);
  await app.register(metrics, { queuePrefix: config.queuePrefix });
  // Unset: a secret of this process alone, so sessions end when it does.
  const session = {
    secret: config.server.sessionSecret ?? randomBytes(32).toString('base64url'),
    ttlS: config.server.sessionTtlS,
  };
  await app.register(dashboard, { queue: app.retrainQueue, keys, session });
  await app.register(page, { keys, session, batchMax: config.server.predictBatchMax });
  if (options.extraRoutes) await app.register(async (instance) => options.extraRoutes?.(instance));
  app.log.debug({ dashboard: DASHBOARD_PATH }, 'routes registered');
  return app;
}
