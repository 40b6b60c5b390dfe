// Runs each role as a child process in its own process group (so a role's own children, such as
// the KCL daemon's processors, go with it), prefixes its output with the role's name, restarts a
// role that dies with growing backoff, and on stop sends SIGTERM, then SIGKILL after a grace period.
import { type ChildProcess, spawn } from 'node:child_process';
import { type Backoff, backoffDelay } from '../lib/retry.js';
import { lineFramer } from './lineFramer.js';

/** Role restarts: 1 s, 2 s, 4 s... up to 30 s, without jitter, so the log says when it comes back. */
const ROLE_RESTART: Backoff = { baseMs: 1000, capMs: 30_000, jitter: 'none' };

export interface SupervisedRole {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface Supervisor {
  /** SIGTERM to every role's process group, SIGKILL after the grace period; resolves when all are gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to every role's process group now (a second Ctrl-C). */
  kill(): void;
  pids(): number[];
}

/**
 * `write` gets whole lines, each ended by a newline and prefixed with its role's name: as bytes
 * forwarded from a role (one buffer per chunk read, never parsed), or as a string of ours.
 */
export function supervise(roles: SupervisedRole[], write: (lines: Buffer | string) => void): Supervisor {
  const width = Math.max(...roles.map((role) => role.name.length));
  const running = new Map<string, ChildProcess>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;

  const start = (role: SupervisedRole, restarts: number) => {
    const child = spawn(role.command, role.args, {
      env: role.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.set(role.name, child);
    const label = role.name.padEnd(width);
    for (const stream of [child.stdout, child.stderr]) {
      const framer = lineFramer(`${label} | `);
      stream.on('data', (chunk: Buffer) => {
        const lines = framer.push(chunk);
        if (lines) write(lines);
      });
      stream.on('end', () => {
        const rest = framer.end();
        if (rest) write(rest);
      });
    }
    const startedAt = Date.now();
    child.on('exit', (code, signal) => {
      running.delete(role.name);
      if (stopping) return;
      // A role that ran for a minute is healthy again: start its backoff over.
      const attempt = Date.now() - startedAt > 60_000 ? 0 : restarts + 1;
      const delay = backoffDelay(Math.max(0, attempt - 1), ROLE_RESTART);
      write(`${label} | exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000}s\n`);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) start(role, attempt);
      }, delay);
      timers.add(timer);
    });
  };
  for (const role of roles) start(role, 0);

  return {
    pids: () =>
      [...running.values()].map((child) => child.pid).filter((pid): pid is number => pid !== undefined),
    stop: async (graceMs = 15_000) => {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      const exits = [...running.values()].map(
        (child) =>
          new Promise<void>((resolve) =>
            child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
          ),
      );
      const groups = [...running.values()].map((child) => child.pid).filter((pid) => pid !== undefined);
      signalAll(running, 'SIGTERM');
      const killer = setTimeout(() => signalAll(running, 'SIGKILL'), graceMs);
      await Promise.all(exits);
      clearTimeout(killer);
      // A role's own children (a daemon's processors) share its group and may outlive it briefly.
      for (let waited = 0; groups.some(groupAlive) && waited < 5000; waited += 100) await sleep(100);
      for (const group of groups.filter(groupAlive)) signalGroup(group, 'SIGKILL');
    },
    kill: () => signalAll(running, 'SIGKILL'),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // already gone
  }
}

function signalAll(running: Map<string, ChildProcess>, signal: NodeJS.Signals): void {
  for (const child of running.values()) if (child.pid !== undefined) signalGroup(child.pid, signal);
}
