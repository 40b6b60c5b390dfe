// The one way a test starts the server in the test's own process: server/app.ts's buildApp on a
// free loopback port, over a test stack's stand-ins and fresh names (or a stack the file already
// runs), with the file's own settings on top. A test that needs the real process (`brewstream
// server` as a child) takes the same environment from serverEnv.
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { type Config, loadConfig } from '../../lib/config.js';
import { createRedis } from '../../lib/redis.js';
import { type BackendPreference, loadTf, type Tf } from '../../lib/tfjs.js';
import { type AppOptions, buildApp } from '../../server/app.js';
import { capturingLogger } from './capture.js';
import { startTestStack, type TestStack } from './stack.js';
import { until } from './wait.js';

export interface ServerOptions {
  /**
   * Where S3, Redis and the names come from. By default a fresh test stack (no stream) that
   * close() stops; or a stack the file runs, which it keeps; or `false` for none, when `env`
   * names an S3 of the test's own.
   */
  stack?: TestStack | false;
  /**
   * Settings over the stack's environment, for this server only (API_KEYS, RATE_LIMIT_PER_MINUTE,
   * an AWS_ENDPOINT_URL_S3 of its own, …).
   */
  env?: Record<string, string>;
  /** The tfjs backend (default auto, as the role runs). */
  backend?: BackendPreference;
  /** Log into `lines` (a real pino logger at debug) instead of stdout at LOG_LEVEL. */
  capture?: boolean;
  extraRoutes?: AppOptions['extraRoutes'];
  /** Fail if the server has not built and listened by then (closing what started). */
  listenWithinMs?: number;
  /** Also wait, up to this long, until /ready answers 200: the registry read, and its champion loaded if it names one. */
  readyWithinMs?: number;
}

export interface TestServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  url: string;
  config: Config;
  /** The stack it serves from (undefined with `stack: false`). */
  stack: TestStack | undefined;
  tf: Tf;
  /** The log lines so far, with `capture` (empty without). */
  lines: Array<Record<string, unknown>>;
  /** Closes the server, and the stack and its Redis keys if it started the stack. */
  close(): Promise<void>;
}

/** The environment the server reads: the process's, the stack's stand-ins and names, then `env`. */
export function serverEnv(stack: TestStack | undefined, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...stack?.env, ...env };
}

export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const owned = options.stack === undefined ? await startTestStack({ stream: false }) : undefined;
  const stack = owned ?? (options.stack || undefined);
  const env = serverEnv(stack, options.env);
  const config = loadConfig(env);
  const { tf } = await loadTf(options.backend ?? 'auto');
  const { logger, lines } = options.capture ? capturingLogger() : { logger: undefined, lines: [] };

  let app: FastifyInstance | undefined;
  const close = async () => {
    await app?.close();
    if (!owned) return;
    const redis = createRedis(owned.config.redisUrl);
    await owned.clearRedis(redis);
    redis.disconnect();
    await owned.close();
  };
  const listening = withSdkEnv(env, async () => {
    app = await buildApp({ config, tf, logger, extraRoutes: options.extraRoutes });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return app;
  });
  let timer: NodeJS.Timeout | undefined;
  const bound = options.listenWithinMs;
  const timedOut = new Promise<never>((_, reject) => {
    if (bound === undefined) return;
    timer = setTimeout(() => reject(new Error(`the server did not listen within ${bound / 1000} s`)), bound);
  });
  let listened: FastifyInstance;
  try {
    listened = await Promise.race([listening, timedOut]);
  } catch (error) {
    // Not awaited: a server stuck starting may never finish closing either.
    void close().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const address = listened.server.address();
  assert.ok(address && typeof address === 'object', 'the server listens on a TCP port');
  if (options.readyWithinMs !== undefined) {
    await until(
      '/ready to answer 200',
      async () => (await listened.inject({ method: 'GET', url: '/ready' })).statusCode === 200,
      options.readyWithinMs,
    ).catch(async (error) => {
      await close();
      throw error;
    });
  }
  return { app: listened, url: `http://127.0.0.1:${address.port}`, config, stack, tf, lines, close };
}

/**
 * Runs `start` with the AWS_* variables of `env` in the process environment, where the SDK reads
 * endpoints and credentials when a client is built (lib/aws.ts), then puts back what was there, so
 * one server's S3 endpoint is not the next one's.
 */
async function withSdkEnv<T>(env: NodeJS.ProcessEnv, start: () => Promise<T>): Promise<T> {
  const names = Object.keys(env).filter((name) => name.startsWith('AWS_'));
  const previous = names.map((name) => [name, process.env[name]] as const);
  for (const name of names) process.env[name] = env[name];
  try {
    return await start();
  } finally {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
