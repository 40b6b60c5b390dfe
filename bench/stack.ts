// `npm run bench -- stack`: /predict on the production path. The whole local pipeline as
// `npm start` runs it (dist/local/start.js, its own ports and a temporary data directory, stdout
// piped to a reader process as a container's log driver or a terminal reads it) replays the
// beers, trains and serves its first model; then, with the consumers polling and the trainer idle,
// autocannon loads /predict at 50 connections. The server benchmark's quiet /predict runs in the
// same run, after the stack is gone, for the ratio. Also measured: what each process of the stack
// spends on CPU during the load, and what the supervisor spends per forwarded line, against the
// line-by-line forwarding it replaced (readline, a string and a write per line), in this run.
// BENCH_PROFILE=<dir> also CPU-profiles every process of the stack and summarises the server's.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { isRecord } from '../lib/guards.js';
import { lineFramer } from '../local/lineFramer.js';
import { localStackEnv } from '../test/support/localStack.js';
import { freePort } from '../test/support/ports.js';
import { descendants } from '../test/support/processes.js';
import { BODY, CONNECTIONS, postLoad } from './predictLoad.js';
import { summarizeFile } from './profile.js';
import { type BenchResults, report } from './report.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const FIRST_MODEL_TIMEOUT_MS = Number(process.env.BENCH_FIRST_MODEL_TIMEOUT_S ?? 600) * 1000;
const PROFILE_DIR = process.env.BENCH_PROFILE;
const dist = path.resolve(import.meta.dirname, '..');
const repo = path.resolve(dist, '..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** The log reader (bench/logReader.ts) and the count it prints once its stdin ends. */
function startLogReader(): { reader: ChildProcess; counted: Promise<{ lines: number; bytes: number }> } {
  const reader = spawn(process.execPath, [path.join(import.meta.dirname, 'logReader.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  reader.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  const counted = new Promise<{ lines: number; bytes: number }>((resolve, reject) =>
    reader.once('exit', () => {
      const parsed: unknown = JSON.parse(out || 'null');
      if (isRecord(parsed) && typeof parsed.lines === 'number' && typeof parsed.bytes === 'number')
        resolve({ lines: parsed.lines, bytes: parsed.bytes });
      else reject(new Error(`the log reader printed ${out}`));
    }),
  );
  return { reader, counted };
}

/** CPU seconds (user + system) of a process so far, from /proc/<pid>/stat; undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return undefined;
  }
}
const TICKS = 100; // USER_HZ on Linux

/** What a process of the stack is, by its command line. */
function roleOf(command: string): string {
  if (command.includes('local/start.js')) return 'start.js (supervisor, stand-ins)';
  const role = /brewstream\.js (.+)$/.exec(command)?.[1];
  if (role) return role.replace(/ --.*$/, '');
  return command.split(' ')[0] ?? command;
}

function cpuByRole(root: number): Map<string, { pids: number[]; seconds: number }> {
  const roles = new Map<string, { pids: number[]; seconds: number }>();
  const add = (pid: number, command: string) => {
    const seconds = cpuSeconds(pid);
    if (seconds === undefined) return;
    const role = roleOf(command);
    const entry = roles.get(role) ?? { pids: [], seconds: 0 };
    entry.pids.push(pid);
    entry.seconds += seconds;
    roles.set(role, entry);
  };
  add(root, 'local/start.js');
  for (const info of descendants(root)) add(info.pid, info.command);
  return roles;
}

/** Polls one prediction a second until the stack serves one (its first model is trained and loaded). */
async function firstPrediction(baseUrl: string, stack: ChildProcess): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < FIRST_MODEL_TIMEOUT_MS) {
    if (stack.exitCode !== null) throw new Error(`the stack exited with ${stack.exitCode} before serving`);
    try {
      const response = await fetch(`${baseUrl}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        signal: AbortSignal.timeout(5000),
      });
      await response.text();
      if (response.status === 200) return (Date.now() - started) / 1000;
    } catch {
      // no listener yet
    }
    await sleep(1000);
  }
  throw new Error(`no prediction served within ${FIRST_MODEL_TIMEOUT_MS / 1000}s`);
}

/**
 * After the first model the trainer may still be busy (a retrain the replay's later rows asked
 * for): waits until it uses under TRAINER_IDLE_CORES over a 2 s window, at most 180 s; returns
 * how long that took.
 */
const TRAINER_IDLE_CORES = 0.05;
async function trainerIdle(root: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 180_000) {
    const before = cpuByRole(root).get('trainer');
    await sleep(2000);
    const after = cpuByRole(root).get('trainer');
    if (
      before &&
      after &&
      before.pids.join() === after.pids.join() &&
      (after.seconds - before.seconds) / 2 < TRAINER_IDLE_CORES
    )
      return (Date.now() - started) / 1000;
  }
  throw new Error('the trainer did not go idle within 180 s of the first prediction');
}

async function measureStack(): Promise<{ results: BenchResults; serverPid: number | undefined }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'brewstream-bench-stack-'));
  const port = await freePort();
  // The replay trains the first model; no scheduled tick adds data (and a retrain) during the load.
  const env = await localStackEnv(dataDir, port, { LOG_PRETTY: 'false' });
  if (PROFILE_DIR) {
    await mkdir(PROFILE_DIR, { recursive: true });
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${path.resolve(PROFILE_DIR)}`;
  }
  const { reader, counted } = startLogReader();
  const stack = spawn(process.execPath, [path.join(dist, 'local', 'start.js')], {
    cwd: repo,
    env,
    stdio: ['ignore', reader.stdin ?? 'ignore', 'inherit'],
  });
  reader.stdin?.destroy();
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    const firstS = await firstPrediction(baseUrl, stack);
    process.stderr.write(
      `stack: first prediction after ${firstS.toFixed(1)} s; waiting for the trainer to idle\n`,
    );
    const idleS = await trainerIdle(stack.pid as number);
    await postLoad(`${baseUrl}/predict`, 1);
    const before = cpuByRole(stack.pid as number);
    const started = performance.now();
    const result = await postLoad(`${baseUrl}/predict`, DURATION_S);
    const seconds = (performance.now() - started) / 1000;
    const after = cpuByRole(stack.pid as number);
    if (result.errors + result.non2xx + result.timeouts > 0)
      throw new Error(
        `stack /predict: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`,
      );
    const cpu: BenchResults = {};
    for (const [role, now] of after) {
      const then = before.get(role);
      // Only processes alive across the whole load (a processor restarted in between is left out).
      if (!then || then.pids.join() !== now.pids.join()) continue;
      cpu[role] = round3((now.seconds - then.seconds) / seconds);
    }
    const results = {
      stack_predict_rps: Math.round(result.requests.average),
      stack_predict_p50_ms: result.latency.p50,
      stack_predict_p99_ms: result.latency.p99,
      stack_requests: result.requests.total,
      stack_first_prediction_s: Math.round(firstS),
      stack_trainer_idle_after_s: Math.round(idleS),
      stack_cpu_cores_by_process: cpu,
    };
    return { results, serverPid: after.get('server')?.pids[0] };
  } finally {
    stack.kill('SIGTERM');
    await new Promise((resolve) => (stack.exitCode !== null ? resolve(null) : stack.once('exit', resolve)));
    const { lines } = await counted;
    process.stderr.write(`stack: the log reader got ${lines} lines\n`);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The server benchmark's quiet /predict, run now as its own process. */
function serverBench(): Promise<BenchResults> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'server.js')], {
      env: { ...process.env, BENCH_SCENARIOS: 'predict', NODE_OPTIONS: process.env.NODE_OPTIONS ?? '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('exit', (code) => {
      const parsed: unknown = JSON.parse(out.trim().split('\n').at(-1) ?? 'null');
      if (code === 0 && isRecord(parsed) && isRecord(parsed.results)) resolve(parsed.results as BenchResults);
      else reject(new Error(`the server benchmark exited with ${code}`));
    });
  });
}

const LINE = `${JSON.stringify({
  level: 30,
  time: Date.now(),
  pid: 1234,
  hostname: 'bench',
  name: 'server',
  reqId: 'req-1a2b',
  method: 'POST',
  url: '/predict',
  status: 200,
  ms: 1.234,
  model: '20261207T000000Z-0123abcd',
  rows: 1,
  msg: 'request',
})}\n`;
const SUPERVISED_LINES = 200_000;

/**
 * CPU per forwarded line in this process: a child writes SUPERVISED_LINES request lines as fast
 * as it can; `forward` turns its stdout into what goes to the reader process.
 */
async function forwardingCost(forward: (input: NodeJS.ReadableStream, out: NodeJS.WritableStream) => void) {
  const { reader, counted } = startLogReader();
  const writer = spawn(
    process.execPath,
    [
      '-e',
      `const l=${JSON.stringify(LINE)}.repeat(100);for(let i=0;i<${SUPERVISED_LINES / 100};i++)process.stdout.write(l);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const out = reader.stdin as NodeJS.WritableStream;
  const cpu = process.cpuUsage();
  forward(writer.stdout, out);
  await new Promise((resolve) => writer.stdout.once('end', resolve));
  const used = process.cpuUsage(cpu);
  await new Promise<void>((resolve) => out.end(() => resolve()));
  const { lines } = await counted;
  if (lines !== SUPERVISED_LINES) throw new Error(`forwarded ${lines} of ${SUPERVISED_LINES} lines`);
  return ((used.user + used.system) / SUPERVISED_LINES) * 1000; // ns per line
}

const supervisorNsPerLine = () =>
  forwardingCost((input, out) => {
    const framer = lineFramer('server  | ');
    input.on('data', (chunk: Buffer) => {
      const lines = framer.push(chunk);
      if (lines) out.write(lines);
    });
  });
const readlineNsPerLine = () =>
  forwardingCost((input, out) => {
    createInterface({ input }).on('line', (line) => out.write(`${'server  '} | ${line}\n`));
  });

const supervisor = await supervisorNsPerLine();
const readline = await readlineNsPerLine();
const { results: stackResults, serverPid } = await measureStack();
const server = await serverBench();
const benchRps = server.predict_rps;
if (typeof benchRps !== 'number') throw new Error('the server benchmark reported no predict_rps');
const results: BenchResults = {
  ...stackResults,
  bench_predict_rps: benchRps,
  bench_predict_p99_ms: server.predict_p99_ms ?? null,
  stack_over_bench: round3((stackResults.stack_predict_rps as number) / benchRps),
  supervisor_ns_per_line: Math.round(supervisor),
  readline_ns_per_line: Math.round(readline),
  supervisor_over_readline: round3(supervisor / readline),
};
if (PROFILE_DIR) {
  // V8 names a profile CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile.
  const file = (await readdir(PROFILE_DIR)).find((f) => f.split('.')[3] === String(serverPid));
  if (file === undefined) throw new Error(`no profile of the server (pid ${serverPid}) in ${PROFILE_DIR}`);
  const summary = await summarizeFile(path.join(PROFILE_DIR, file));
  results.server_profile_packages = summary.packages.map(
    ({ name, share }) => `${name} ${(share * 100).toFixed(1)}%`,
  );
  results.server_profile_functions = summary.functions.map(
    ({ name, share }) => `${name} ${(share * 100).toFixed(1)}%`,
  );
}
report(
  'stack',
  {
    ...results,
    connections: CONNECTIONS,
    duration_s: DURATION_S,
    target: 'stack_over_bench >= 0.8, stack_predict_p99_ms <= 10',
  },
  `dist/local/start.js in a temporary data directory, stdout piped to a reader process; autocannon ${CONNECTIONS} connections ${DURATION_S}s on /predict after the first model, trainer idle`,
);
