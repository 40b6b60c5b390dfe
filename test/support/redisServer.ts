// A private redis-server on a free loopback port, for tests that stop, pause and restart Redis:
// never the shared one on 6379. Nothing is persisted; the process is this test's own child.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { redisAnswers } from '../../lib/redis.js';
import { freePort } from './ports.js';
import { until } from './wait.js';

export const REDIS_SERVER = 'redis-server';

/**
 * The environment a redis-server child starts in: ours without LD_PRELOAD. A test run may move the
 * tests' clock with libfaketime (scripts/run-tests.js --clock), which redis-server's jemalloc does
 * not survive; Redis keeps its own clock, as it does beside every deployment.
 */
export function redisServerEnv(): NodeJS.ProcessEnv {
  const { LD_PRELOAD: _, ...env } = process.env;
  return env;
}

/** A reason to skip when redis-server is not installed (scripts/ensure-redis.sh installs it). */
export const noRedisServer =
  spawnSync(REDIS_SERVER, ['--version'], { env: redisServerEnv() }).status === 0
    ? false
    : `${REDIS_SERVER} is not installed (scripts/ensure-redis.sh installs it)`;

export interface PrivateRedis {
  readonly url: string;
  /** Starts the server (again) on the same port and waits until it answers. */
  start(): Promise<void>;
  /** Stops it and waits for the process to exit. */
  stop(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, commands get no answer. */
  pause(): void;
  resume(): void;
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  return {
    url,
    async start() {
      const server = spawn(
        REDIS_SERVER,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--loglevel',
          'warning',
        ],
        { stdio: 'ignore', env: redisServerEnv() },
      );
      child = server;
      exited = new Promise((resolve) => server.once('exit', () => resolve()));
      await until(`redis-server on ${port} to answer`, () => redisAnswers(url, 200), 10_000);
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}
