// What a failure drill controls (README "Failure drills"): a private redis-server on a free port
// with its own data folder (never the shared 6379 one), the Kinesis and S3 stand-ins as processes
// of their own with data folders (so stopping and starting one keeps its data), and the roles as
// child processes (`brewstream <role>`), each in its own process group so a daemon's processors go
// with it. Everything runs on loopback under fresh names; close() kills whatever is left, whatever
// happened.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { kinesisClient, s3Client } from '../../lib/aws.js';
import { type Config, loadConfig } from '../../lib/config.js';
import { redisAnswers } from '../../lib/redis.js';
import { ensureBucket } from '../../lib/s3.js';
import { S3RVER_CREDENTIALS } from '../../local/s3StandIn.js';
import { ensureStream } from '../../local/stream.js';
import { freePort } from './ports.js';
import { redisServerEnv } from './redisServer.js';
import { until } from './wait.js';

const here = import.meta.dirname;
const brewstream = path.resolve(here, '..', '..', 'bin', 'brewstream.js');
const standInScript = path.resolve(here, 'standInProcess.js');
/** DRILL_LOG=<file> keeps every process's output there; by default it is dropped. */
const logFd = openSync(process.env.DRILL_LOG ?? '/dev/null', 'a');

/** A process the drill can stop and start again on the same port and data folder. */
export interface Restartable {
  readonly port: number;
  start(): Promise<void>;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
}

export interface Role {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Signals the role's whole process group. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface DrillStack {
  config: Config;
  env: Record<string, string>;
  redis: Restartable & { url: string };
  kinesis: Restartable;
  s3: Restartable;
  /** Starts `brewstream <role> ...args` with the stack's environment (plus `env`). */
  role(args: string[], env?: Record<string, string>): Role;
  /** Makes the stream (unless shards is 0) and buckets (the stand-ins must be up). */
  provision(shards: number): Promise<void>;
  /** Runs `stop` first in close(): a watcher a failed test never stopped must not keep the file alive. */
  onClose(stop: () => unknown): void;
  close(): Promise<void>;
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

function restartable(
  port: number,
  command: () => ChildProcess,
  ready: (child: ChildProcess) => Promise<void>,
) {
  let child: ChildProcess | undefined;
  return {
    port,
    async start() {
      const started = command();
      child = started;
      // A command that cannot start (redis-server not installed: scripts/ensure-redis.sh installs it).
      const failed = new Promise<never>((_, reject) =>
        started.once('error', (error) =>
          reject(new Error(`cannot start ${started.spawnfile}: ${error.message}`)),
        ),
      );
      await Promise.race([ready(started), failed]);
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = exitOf(child);
      child.kill('SIGTERM');
      await exited;
    },
    kill() {
      child?.kill('SIGKILL');
    },
  };
}

function standIn(kind: 'kinesis' | 's3', port: number, dataDir: string) {
  return restartable(
    port,
    () =>
      spawn(process.execPath, [standInScript, kind, String(port), dataDir], {
        stdio: ['ignore', 'pipe', logFd],
      }),
    (child) =>
      new Promise<void>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
        lines.on('line', (line) => {
          if (line.startsWith('ready ')) resolve();
        });
        child.once('exit', (code) =>
          reject(new Error(`${kind} stand-in exited (${code}) before it was ready`)),
        );
      }),
  );
}

function redisServer(port: number, dataDir: string) {
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    ...restartable(
      port,
      () =>
        // Append-only with fsync on every write: a stop and start keeps every key, as a Redis
        // restart in production (ElastiCache, or a local Redis with persistence) would.
        spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--dir',
            dataDir,
            '--save',
            '',
            '--appendonly',
            'yes',
            '--appendfsync',
            'always',
            '--loglevel',
            'warning',
          ],
          { stdio: ['ignore', logFd, logFd], env: redisServerEnv() },
        ),
      async (child) => {
        await until(
          `redis-server on ${port} to answer`,
          async () => {
            if (child.exitCode !== null)
              throw new Error(`redis-server on ${port} exited (${child.exitCode})`);
            return redisAnswers(url, 200);
          },
          15_000,
        );
      },
    ),
  };
}

export async function startDrillStack(options: { env?: Record<string, string> } = {}): Promise<DrillStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'brewstream-drill-'));
  const [redisPort, kinesisPort, s3Port] = [await freePort(), await freePort(), await freePort()];
  const redis = redisServer(redisPort, dir);
  const kinesis = standIn('kinesis', kinesisPort, path.join(dir, 'kinesis'));
  const s3 = standIn('s3', s3Port, path.join(dir, 's3'));
  const id = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    ...S3RVER_CREDENTIALS,
    AWS_ENDPOINT_URL_KINESIS: `http://127.0.0.1:${kinesisPort}`,
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
    STREAM_NAME: `beers-${id}`,
    RAW_BUCKET: `raw-${id}`,
    CLEANED_BUCKET: `cleaned-${id}`,
    MODELS_BUCKET: `models-${id}`,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: `drill-${id}`,
    KCL_APPLICATION_NAME: `drill-${id}`,
    LOG_LEVEL: process.env.DRILL_LOG ? 'info' : 'warn',
    // New data retrains at once here, as these drills expect; the cadence has its own test.
    RETRAIN_MIN_INTERVAL_S: '0',
    ...options.env,
  };
  Object.assign(process.env, env); // the SDK in this process reads endpoints and credentials from here
  const config = loadConfig({ ...process.env, ...env });
  const roles: Role[] = [];
  const closers: Array<() => unknown> = [];

  return {
    config,
    env,
    redis,
    kinesis,
    s3,
    role(args, extra = {}) {
      const child = spawn(process.execPath, [brewstream, ...args], {
        env: { ...process.env, ...env, ...extra },
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
      const exited = exitOf(child);
      const role: Role = {
        child,
        exited,
        async kill(signal = 'SIGKILL') {
          if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
          try {
            process.kill(-child.pid, signal);
          } catch {
            return; // already gone
          }
          await exited;
        },
      };
      roles.push(role);
      return role;
    },
    async provision(shards) {
      if (shards > 0) {
        const kc = kinesisClient(config);
        await ensureStream(kc, config.streamName, shards);
        kc.destroy();
      }
      const sc = s3Client(config);
      for (const bucket of Object.values(config.buckets)) await ensureBucket(sc, bucket);
      sc.destroy();
    },
    onClose(stop) {
      closers.push(stop);
    },
    async close() {
      for (const stop of closers.splice(0)) await Promise.resolve(stop()).catch(() => {});
      // Every process group this drill started, then the stand-ins and Redis, whatever state they are in.
      for (const role of roles) {
        if (role.child.pid !== undefined && role.child.exitCode === null && role.child.signalCode === null) {
          try {
            process.kill(-role.child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
      await Promise.all(roles.map((role) => role.exited));
      for (const part of [kinesis, s3, redis]) part.kill();
      await Promise.all([kinesis.stop(), s3.stop(), redis.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
