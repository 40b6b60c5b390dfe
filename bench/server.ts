// `npm run bench -- server`: POST /predict under autocannon at 50 connections, next to a bare
// route on the same Fastify instance with the same JSON schemas (validation, serialisation,
// rate limit, logging) that answers a constant: the ratio is what the model and micro-batching
// cost. Each server runs in a child process so the load generator does not share its event loop.
// Two servers, one after the other: `quiet` writes its request lines to /dev/null (what the route
// itself costs), `logged` is production's logging (lib/logger.ts, to stdout) with stdout piped to
// a reader process, as a container's log driver reads it; every request's line must reach it.
// The inference log (server/plugins/inferenceLog.ts) is off in both; `inference_log` is a third,
// quiet server with its defaults, into an S3 stand-in of its own process, with the log turned on
// and off between its turns: on ÷ off is inference_log_ratio.
// Every server serves a network of the shape the trainer serves (MODEL_CONFIG), and each scenario
// also reports the server's CPU per request (`*_server_cpu_us*`).
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { s3Client } from '../lib/aws.js';
import { isRecord } from '../lib/guards.js';
import { createLogger } from '../lib/logger.js';
import { loadTf } from '../lib/tfjs.js';
import { buildApp } from '../server/app.js';
import { metadataFor, PREPROCESSING_2, publishModel } from '../test/server/models.js';
import { startTestStack } from '../test/support/stack.js';
import { averaged, buildModel, MODEL_CONFIG, memberSeed } from '../trainer/model.js';
import { CONNECTIONS, postLoad } from './predictLoad.js';
import { type BenchResults, report } from './report.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
/** The measured time of each scenario is split into this many turns, taken in rotation. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

type ServerMode = 'quiet' | 'logged' | 'inference_log';
const MODES: ServerMode[] = ['quiet', 'logged', 'inference_log'];
/** The server with an S3 stand-in of its own process: the inference log's. */
const withRemoteS3 = (mode: ServerMode) => mode === 'inference_log';

/**
 * One measured load: `id` names it in BENCH_SCENARIOS; its figures are reported as
 * `<name>_rps<suffix>`, `<name>_p50_ms<suffix>`, `<name>_p99_ms<suffix>`. A new scenario is one
 * more entry (and, if it needs them, a route in `extraRoutes` or a server mode).
 */
interface Scenario {
  id: string;
  name: string;
  route: string;
  server: ServerMode;
  suffix: string;
  /** For the inference log's server: the log on or off during this scenario's turns. */
  inferenceLog?: boolean;
}

// In turn order: the two sides of each ratio run one after the other (bare and predict, predict and
// the inference log's predict, the logged pair), so a shift of the machine's load between turns
// falls on a ratio's two sides alike.
const SCENARIOS: Scenario[] = [
  { id: 'bare', name: 'bare', route: '/bare', server: 'quiet', suffix: '' },
  { id: 'predict', name: 'predict', route: '/predict', server: 'quiet', suffix: '' },
  // The inference log's ratio compares one server process with its log turned off and on between
  // turns: two processes alike but for the log were up to 1.6x apart in CPU per request here (and so
  // were two runs of the same process), which buried the log's own cost.
  {
    id: 'predict_inference_log_off',
    name: 'predict',
    route: '/predict',
    server: 'inference_log',
    suffix: '_inference_log_off',
    inferenceLog: false,
  },
  {
    id: 'predict_inference_log',
    name: 'predict',
    route: '/predict',
    server: 'inference_log',
    suffix: '_inference_log',
    inferenceLog: true,
  },
  { id: 'predict_logged', name: 'predict', route: '/predict', server: 'logged', suffix: '_logged' },
  { id: 'bare_logged', name: 'bare', route: '/bare', server: 'logged', suffix: '_logged' },
];

/**
 * An S3 stand-in in a process of its own, as S3 is another machine: the inference log's writes
 * then cost the server what they cost it in production (serialising and sending), not also
 * the stand-in's work of receiving and storing them on the server's own event loop.
 */
async function s3StandInProcess(): Promise<{ endpoint: string; pid: number | undefined; stop(): void }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bench-s3-'));
  const child = spawn(
    process.execPath,
    [path.join(import.meta.dirname, '..', 'test', 'support', 'standInProcess.js'), 's3', '0', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      const ready = /ready (\d+)/.exec(chunk.toString());
      if (ready) resolve(Number(ready[1]));
    });
    child.once('exit', (code) => reject(new Error(`the S3 stand-in exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

/** CPU seconds (user + system) a process has used so far, from Linux's /proc (clock ticks of 10 ms). */
function processCpu(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The server's CPU and its own S3 stand-in's (the inference log's pair): on a shared 2-core machine the
 * requests/s of two servers measured in turns move with the neighbours, the CPU each request costs
 * the server much less, so both are reported.
 */
function cpuSeconds(server: number, standIn: number | undefined): { server: number; standIn: number } {
  return { server: processCpu(server), standIn: processCpu(standIn) };
}

async function serve(mode: ServerMode): Promise<void> {
  const remoteS3 = withRemoteS3(mode) ? await s3StandInProcess() : undefined;
  const stack = await startTestStack({
    stream: false,
    env: { LOG_LEVEL: 'info', ...(remoteS3 ? { AWS_ENDPOINT_URL_S3: remoteS3.endpoint } : {}) },
  });
  const { tf, backend } = await loadTf(stack.config.trainer.backend);
  const s3 = s3Client(stack.config);
  // The network the trainer serves (its shape and size; the weights untrained, which costs the same),
  // with a recipe-2 preprocessing: what a /predict in production computes, so that the stack
  // benchmark's ratio to this one is the stack's own cost, not a smaller model's.
  const inputs = PREPROCESSING_2.features.length;
  const members = Array.from({ length: MODEL_CONFIG.members }, (_, m) =>
    buildModel(tf, inputs, memberSeed(1, m)),
  );
  await publishModel(s3, stack.config.buckets.models, averaged(tf, inputs, MODEL_CONFIG, members), {
    metadata: (version) => metadataFor(version, true, PREPROCESSING_2),
  });
  // Request lines are written at info level either way; only where they go differs.
  const logger =
    mode === 'logged'
      ? createLogger('server', { level: 'info' })
      : pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const app = await buildApp({
    config: stack.config,
    tf,
    logger,
    // Knobs for comparing variants: BENCH_BATCH_WINDOW_MS, BENCH_BATCH_MAX_ROWS (1 = no batching).
    batchWindowMs: Number(process.env.BENCH_BATCH_WINDOW_MS ?? 0),
    batchMaxRows: Number(process.env.BENCH_BATCH_MAX_ROWS ?? 1024),
    extraRoutes: (instance) => {
      instance.post(
        '/bare',
        { schema: { body: { $ref: 'BeerFeatures#' }, response: { 200: { $ref: 'Prediction#' } } } },
        async () => ({ ibu: 42, bitterness: 'high', model: 'bare' }),
      );
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  while (app.models.version === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  const address = app.server.address() as { port: number };
  process.send?.({ port: address.port, backend });
  process.on('message', async (message) => {
    // The measuring process asks for this process's CPU time around each turn (see cpuSeconds).
    if (message === 'cpu') {
      process.send?.({ cpu: cpuSeconds(process.pid, remoteS3?.pid) });
      return;
    }
    // The log on or off for the next turn: the plugin reads the setting at each prediction.
    if (isRecord(message) && typeof message.inferenceLog === 'boolean') {
      stack.config.inferenceLog.enabled = message.inferenceLog;
      process.send?.({ inferenceLogSet: message.inferenceLog });
      return;
    }
    await app.close();
    s3.destroy();
    await stack.close();
    remoteS3?.stop();
    logger.flush();
    process.exit(0);
  });
}

/** The log reader's count of what reached it, once the server's end of the pipe closed. */
function readerCount(reader: ReturnType<typeof spawn>): Promise<{ lines: number; bytes: number }> {
  let out = '';
  reader.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  return new Promise((resolve, reject) =>
    reader.once('exit', (code) => {
      try {
        const parsed: unknown = JSON.parse(out);
        if (
          code === 0 &&
          isRecord(parsed) &&
          typeof parsed.lines === 'number' &&
          typeof parsed.bytes === 'number'
        )
          resolve({ lines: parsed.lines, bytes: parsed.bytes });
        else reject(new Error(`log reader exited with ${code}: ${out}`));
      } catch (error) {
        reject(error);
      }
    }),
  );
}

interface RunningServer {
  mode: ServerMode;
  base: string;
  backend: string;
  stop(): Promise<void>;
  /** CPU seconds used so far by the server process and by its own S3 stand-in (0 without one). */
  cpu(): Promise<{ server: number; standIn: number }>;
  /** Turns the server's inference log on or off. */
  setInferenceLog(on: boolean): Promise<void>;
  /** Lines the log reader got, once the server stopped (logged mode). */
  lines?: Promise<{ lines: number; bytes: number }>;
}

/** Starts one server process; in logged mode its stdout is a pipe to a log reader process. */
async function startServerProcess(mode: ServerMode): Promise<RunningServer> {
  const reader =
    mode === 'logged'
      ? spawn(process.execPath, [path.join(import.meta.dirname, 'logReader.js')], {
          stdio: ['pipe', 'pipe', 'inherit'],
        })
      : undefined;
  const lines = reader ? readerCount(reader) : undefined;
  const child = fork(new URL(import.meta.url).pathname, ['serve', mode], {
    stdio: ['ignore', reader?.stdin ?? 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, INFERENCE_LOG: String(mode === 'inference_log') },
  });
  // The server holds its own copy of the pipe's write end; the reader sees its end when the server exits.
  reader?.stdin?.destroy();
  const { port, backend } = await new Promise<{ port: number; backend: string }>((resolve, reject) => {
    child.once('message', (m) => {
      if (isRecord(m) && typeof m.port === 'number' && typeof m.backend === 'string') {
        resolve({ port: m.port, backend: m.backend });
      } else reject(new Error(`unexpected message from the server process: ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return {
    mode,
    base: `http://127.0.0.1:${port}`,
    backend,
    lines,
    cpu: () =>
      new Promise((resolve) => {
        const onMessage = (m: unknown) => {
          if (!isRecord(m) || !isRecord(m.cpu)) return;
          child.off('message', onMessage);
          resolve({ server: Number(m.cpu.server), standIn: Number(m.cpu.standIn) });
        };
        child.on('message', onMessage);
        child.send('cpu');
      }),
    setInferenceLog: (on) =>
      new Promise((resolve) => {
        const onMessage = (m: unknown) => {
          if (!isRecord(m) || m.inferenceLogSet !== on) return;
          child.off('message', onMessage);
          resolve();
        };
        child.on('message', onMessage);
        child.send({ inferenceLog: on });
      }),
    stop: async () => {
      child.send('stop');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** One turn of a scenario's load. */
interface Turn {
  rps: number;
  p50: number;
  p99: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const ratio = (a: unknown, b: unknown) =>
  typeof a === 'number' && typeof b === 'number' ? Math.round((a / b) * 1000) / 1000 : undefined;

/**
 * A ratio of two scenarios' requests/s as the median of their ratios turn by turn (each turn's two
 * sides run one after the other): a neighbour's burst on a shared machine that falls on one side's
 * turn moves one of five ratios, where it would move a ratio of means by its whole size.
 */
const pairedRatio = (a: Turn[] | undefined, b: Turn[] | undefined) =>
  a && b && a.length === b.length && a.length > 0
    ? Math.round(median(a.map((turn, i) => turn.rps / (b[i] as Turn).rps)) * 1000) / 1000
    : undefined;

/**
 * Waits until the servers (and their stand-ins) are idle: a turn must not run beside the previous
 * turn's aftermath (the logged server still writing its backlog of lines to the log reader, a
 * write of the inference log), which would fall on whichever scenario comes next. Idle is under
 * 20 ms of CPU in all over 250 ms; at most 5 s.
 */
async function settled(servers: RunningServer[]): Promise<void> {
  const total = async () => {
    let sum = 0;
    for (const server of servers) {
      const { server: s, standIn } = await server.cpu();
      sum += s + standIn;
    }
    return sum;
  };
  const deadline = Date.now() + 5000;
  let last = await total();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await total();
    if (now - last < 0.02) return;
    last = now;
  }
}

async function measure(): Promise<void> {
  const wanted = process.env.BENCH_SCENARIOS?.split(',').map((id) => id.trim());
  const scenarios = SCENARIOS.filter((s) => wanted === undefined || wanted.includes(s.id));
  if (scenarios.length === 0)
    throw new Error(`BENCH_SCENARIOS names none of ${SCENARIOS.map((s) => s.id).join(', ')}`);
  // Both servers are up at once (an idle one costs nothing) and the scenarios take turns in
  // short rounds, so a neighbour's burst on a shared machine falls on all of them alike.
  const servers = new Map<ServerMode, RunningServer>();
  for (const mode of MODES)
    if (scenarios.some((s) => s.server === mode)) servers.set(mode, await startServerProcess(mode));
  const serverOf = (scenario: Scenario) => servers.get(scenario.server) as RunningServer;
  const requests = new Map<ServerMode, number>();
  const count = (mode: ServerMode, n: number) => requests.set(mode, (requests.get(mode) ?? 0) + n);
  for (const scenario of scenarios)
    count(scenario.server, (await postLoad(`${serverOf(scenario).base}${scenario.route}`, 1)).requests.total);
  const rounds = new Map(scenarios.map((s) => [s, [] as Turn[]]));
  const cpu = new Map(scenarios.map((s) => [s, { server: 0, standIn: 0, requests: 0 }]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const scenario of scenarios) {
      const server = serverOf(scenario);
      if (scenario.inferenceLog !== undefined) await server.setInferenceLog(scenario.inferenceLog);
      await settled([...servers.values()]);
      const before = await server.cpu();
      const result = await postLoad(`${server.base}${scenario.route}`, DURATION_S / ROUNDS);
      const after = await server.cpu();
      const used = cpu.get(scenario);
      if (used) {
        used.server += after.server - before.server;
        used.standIn += after.standIn - before.standIn;
        used.requests += result.requests.total;
      }
      count(scenario.server, result.requests.total);
      rounds
        .get(scenario)
        ?.push({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 });
    }
  }
  const results: BenchResults = {};
  for (const [scenario, runs] of rounds) {
    results[`${scenario.name}_rps${scenario.suffix}`] = Math.round(
      runs.reduce((n, r) => n + r.rps, 0) / runs.length,
    );
    results[`${scenario.name}_p50_ms${scenario.suffix}`] = median(runs.map((r) => r.p50));
    results[`${scenario.name}_p99_ms${scenario.suffix}`] = median(runs.map((r) => r.p99));
    const used = cpu.get(scenario);
    if (used && used.requests > 0) {
      results[`${scenario.name}_server_cpu_us${scenario.suffix}`] = Math.round(
        (used.server / used.requests) * 1e6,
      );
      if (used.standIn > 0)
        results[`${scenario.name}_s3_stand_in_cpu_us${scenario.suffix}`] = Math.round(
          (used.standIn / used.requests) * 1e6,
        );
    }
  }
  for (const server of servers.values()) {
    results.backend = server.backend;
    await server.stop();
    if (server.lines) {
      const { lines } = await server.lines;
      const logged = requests.get(server.mode) ?? 0;
      // One line per request at least (the server's start-up lines come on top).
      if (lines < logged) throw new Error(`the log reader got ${lines} lines for ${logged} requests`);
      results.logged_requests = logged;
      results.logged_lines = lines;
    }
  }
  const turns = (id: string) => rounds.get(scenarios.find((s) => s.id === id) as Scenario);
  const ratios: BenchResults = {};
  for (const [key, value] of [
    ['ratio', pairedRatio(turns('predict'), turns('bare'))],
    ['ratio_logged', pairedRatio(turns('predict_logged'), turns('bare_logged'))],
    ['predict_logged_over_quiet', ratio(results.predict_rps_logged, results.predict_rps)],
    // With the log on ÷ off in the same server process (the quiet server if "off" was not run).
    [
      'inference_log_ratio',
      pairedRatio(turns('predict_inference_log'), turns('predict_inference_log_off') ?? turns('predict')),
    ],
    // The same as a ratio of the two sides' mean requests/s, for comparison with runs before the
    // paired median.
    [
      'inference_log_ratio_of_means',
      ratio(results.predict_rps_inference_log, results.predict_rps_inference_log_off ?? results.predict_rps),
    ],
    // The same comparison by the server's CPU per request (off ÷ on), less moved by neighbours.
    [
      'inference_log_cpu_ratio',
      ratio(
        results.predict_server_cpu_us_inference_log_off ?? results.predict_server_cpu_us,
        results.predict_server_cpu_us_inference_log,
      ),
    ],
  ] as const)
    if (value !== undefined) ratios[key] = value;
  report(
    'server',
    {
      ...results,
      ...ratios,
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      target:
        'ratio >= 0.8, predict_p99_ms <= 10; ratio_logged >= 0.8, predict_p99_ms_logged <= 10; inference_log_ratio >= 0.9',
    },
    `autocannon, ${CONNECTIONS} connections, ${DURATION_S}s per scenario in ${ROUNDS} turns (rps: mean of turns, p50/p99: median of turns, ratios: median of the turns' ratios); logged: production logger, stdout piped to a reader process`,
  );
}

if (process.argv[2] === 'serve') {
  const mode = MODES.find((m) => m === process.argv[3]);
  if (mode === undefined) throw new Error(`serve takes ${MODES.join(', ')}, got ${process.argv[3]}`);
  await serve(mode);
} else await measure();
