// `npm start` as a user runs it, for tests: really through npm (`npm start --ignore-scripts`, which
// runs the start script without its prestart build, so a test never rebuilds dist/ under the
// others), or under a "process manager" (a Node process holding npm as its child). The stack gets
// its own ports and data directory and, unless told otherwise, a Redis port of its own, so
// start.js starts (and must stop) its own redis-server. The process tree is sampled while the
// stack runs, so a test can show afterwards that nothing it started is left.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { descendants, type ProcessInfo, stillRunning } from './processes.js';
import { waitAtMost, waitFor } from './wait.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface LocalStackOptions {
  /** `npm`: the test's child is npm; `manager`: the child is a Node process whose child is npm. */
  via?: 'npm' | 'manager';
  /** Start npm (or the manager) as the leader of its own process group, as a terminal runs a job. */
  group?: boolean;
  /** A data directory to use (kept); by default a fresh one, removed by cleanup(). */
  dataDir?: string;
  env?: Record<string, string>;
}

/** What start.js logs once the stand-ins, Redis, stream and roles are up. */
export interface UpLine {
  server: string;
  redis: string;
  queuePrefix?: string;
  kclApplication?: string;
  dataDir: string;
}

export interface LocalStack {
  child: ChildProcess;
  env: Record<string, string>;
  dataDir: string;
  baseUrl: string;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for start.js's "brewstream is up" line and returns its fields. */
  up(timeoutMs?: number): Promise<UpLine>;
  waitForLine(match: (line: string) => boolean, what: string, timeoutMs: number): Promise<string>;
  /** Every process seen below the child so far (sampled twice a second while it runs). */
  seen(): ProcessInfo[];
  /** Waits until the processes seen satisfy the check (e.g. every role and a processor). */
  waitForProcesses(check: (seen: ProcessInfo[]) => boolean, what: string, timeoutMs: number): Promise<void>;
  /** Waits until no process seen is still running; returns the ones left after the timeout. */
  waitUntilAllGone(timeoutMs: number): Promise<ProcessInfo[]>;
  /** Kills whatever is left (SIGKILL) and removes a data directory it created. */
  cleanup(): Promise<void>;
}

// The manager holds npm as a plain child, as a process manager or a CI step would.
const MANAGER = `
const npm = require('node:child_process').spawn('npm', ['start', '--ignore-scripts'], { stdio: 'inherit' });
npm.on('exit', (code) => process.exit(code ?? 1));
`;

/**
 * The environment of an `npm start` of its own: this process's, less the names a test or benchmark
 * may have set for itself (the stack derives its own from its data directory), with free ports, a
 * Redis URL nothing answers (start.js then starts a redis-server of its own, so the shared Redis
 * keeps no keys of a data directory soon gone) and no scheduled producer tick; `extra` on top.
 */
export async function localStackEnv(
  dataDir: string,
  port: number,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  for (const name of [
    'QUEUE_PREFIX',
    'KCL_APPLICATION_NAME',
    'AWS_ENDPOINT_URL_KINESIS',
    'AWS_ENDPOINT_URL_S3',
  ])
    delete env[name];
  return Object.assign(env, {
    LOCAL_DATA_DIR: dataDir,
    KINESIS_PORT: String(await freePort()),
    S3_PORT: String(await freePort()),
    PORT: String(port),
    REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    PRODUCER_INTERVAL_S: '3600',
    LOG_LEVEL: 'info',
    ...extra,
  });
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'brewstream-stack-')));
  const port = await freePort();
  const env = await localStackEnv(dataDir, port, {
    // New data retrains at once here, as these tests expect; the cadence has its own test.
    RETRAIN_MIN_INTERVAL_S: '0',
    ...options.env,
  });

  const spawnOptions: SpawnOptions = {
    cwd: repo,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group === true,
  };
  const child: ChildProcess =
    options.via === 'manager'
      ? spawn(process.execPath, ['-e', MANAGER], spawnOptions)
      : spawn('npm', ['start', '--ignore-scripts'], spawnOptions);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => lines.push(line));
  }

  const seen = new Map<number, ProcessInfo>();
  const sample = () => {
    if (child.pid === undefined) return;
    // The latest sample wins: a child caught between fork and exec still shows its parent's command.
    for (const info of descendants(child.pid)) seen.set(info.pid, info);
  };
  const sampler = setInterval(sample, 500);
  sample();

  const tail = () => lines.slice(-30).join('\n');
  const waitForLine = (match: (line: string) => boolean, what: string, timeoutMs: number) =>
    waitFor(
      () => `${what}:\n${tail()}`,
      async () => lines.find(match),
      (line) => line !== undefined,
      timeoutMs,
      200,
    );

  return {
    child,
    env,
    dataDir,
    baseUrl: `http://127.0.0.1:${port}`,
    lines,
    exited,
    up: async (timeoutMs = 90_000) => {
      const line = await waitForLine((l) => l.includes('"msg":"brewstream is up'), 'stack up', timeoutMs);
      return JSON.parse(line) as UpLine;
    },
    waitForLine,
    seen: () => [...seen.values()],
    waitForProcesses: async (check, what, timeoutMs) => {
      const commands = (infos: ProcessInfo[]) =>
        infos.map((info) => `${info.pid} ${info.command}`).join('\n');
      await waitFor(
        (infos) => `${what}; seen:\n${commands(infos)}`,
        async () => {
          sample();
          return [...seen.values()];
        },
        check,
        timeoutMs,
      );
    },
    waitUntilAllGone: (timeoutMs) =>
      waitAtMost(
        async () => stillRunning(seen.values()),
        (left) => left.length === 0,
        timeoutMs,
      ),
    cleanup: async () => {
      clearInterval(sampler);
      sample();
      for (const info of stillRunning(seen.values())) {
        try {
          process.kill(info.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** start.js, every role and a processor of each consumer are running. */
export function rolesRunning(seen: ProcessInfo[]): boolean {
  const has = (pattern: RegExp) => seen.some((info) => pattern.test(info.command));
  return (
    has(/local\/start\.js/) &&
    [
      'server',
      'trainer',
      'consumer cleaned',
      'consumer raw',
      'producer',
      'processor cleaned',
      'processor raw',
    ].every((role) => has(new RegExp(`brewstream\\.js ${role}`)))
  );
}

/** The processes a full stack runs when it starts its own Redis: the roles and redis-server. */
export function wholeStack(seen: ProcessInfo[]): boolean {
  return rolesRunning(seen) && seen.some((info) => /^redis-server/.test(info.command));
}
