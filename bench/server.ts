// `npm run bench -- server`: POST /predict under autocannon at 50 connections, next to a bare
// route on the same Fastify instance with the same JSON schemas (validation, serialisation,
// rate limit, logging) that answers a constant: the ratio is what the model and micro-batching
// cost. The server runs in a child process so the load generator does not share its event loop.
import { fork } from 'node:child_process';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { s3Client } from '../lib/aws.js';
import { isRecord } from '../lib/guards.js';
import { loadTf } from '../lib/tfjs.js';
import { buildApp } from '../server/app.js';
import { publishModel, tinyModel } from '../test/server/models.js';
import { startTestStack } from '../test/support/stack.js';
import { report } from './report.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 50;
const BODY = JSON.stringify({ abv: 4.5, target_fg: 1010, target_og: 1044, ebc: 20, srm: 10, ph: 4.4 });

async function serve(): Promise<void> {
  const stack = await startTestStack({ stream: false, env: { LOG_LEVEL: 'info' } });
  const { tf, backend } = await loadTf(stack.config.trainer.backend);
  const s3 = s3Client(stack.config);
  await publishModel(s3, stack.config.buckets.models, tinyModel(tf, 1));
  // Request logs are written as in production (info level), to /dev/null.
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
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
  process.on('message', async () => {
    await app.close();
    s3.destroy();
    await stack.close();
    process.exit(0);
  });
}

async function load(url: string) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  if (result.errors + result.non2xx + result.timeouts > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`);
  }
  return result;
}

async function measure(): Promise<void> {
  // The inference log off here; inferenceLogScenario measures the same route with it on.
  const child = fork(new URL(import.meta.url).pathname, ['serve'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, INFERENCE_LOG: 'false' },
  });
  const { port, backend } = await new Promise<{ port: number; backend: string }>((resolve, reject) => {
    child.once('message', (m) => {
      if (isRecord(m) && typeof m.port === 'number' && typeof m.backend === 'string') {
        resolve({ port: m.port, backend: m.backend });
      } else reject(new Error(`unexpected message from the server process: ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  // A short warm-up of both routes, then the measured runs, one after the other.
  await autocannon({
    url: `${base}/predict`,
    connections: CONNECTIONS,
    duration: 1,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  await autocannon({
    url: `${base}/bare`,
    connections: CONNECTIONS,
    duration: 1,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  const predict = await load(`${base}/predict`);
  const bare = await load(`${base}/bare`);
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  const withLog = await inferenceLogScenario();
  report(
    'server',
    {
      predict_rps: Math.round(predict.requests.average),
      predict_p50_ms: predict.latency.p50,
      predict_p99_ms: predict.latency.p99,
      bare_rps: Math.round(bare.requests.average),
      bare_p50_ms: bare.latency.p50,
      bare_p99_ms: bare.latency.p99,
      ratio: Math.round((predict.requests.average / bare.requests.average) * 1000) / 1000,
      predict_rps_inference_log: Math.round(withLog.requests.average),
      inference_log_ratio: Math.round((withLog.requests.average / predict.requests.average) * 1000) / 1000,
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      backend,
      target: 'ratio >= 0.8, predict_p99_ms <= 10, inference_log_ratio >= 0.9',
    },
    `autocannon, ${CONNECTIONS} connections, ${DURATION_S}s per route`,
  );
}

/**
 * POST /predict again in a server of its own with the inference log on (INFERENCE_LOG=true, its
 * defaults: objects of 5,000 rows to the S3 stand-in), for predict_rps_inference_log and
 * inference_log_ratio (log on ÷ off, the off figure being predict_rps of the same run).
 */
async function inferenceLogScenario() {
  const child = fork(new URL(import.meta.url).pathname, ['serve'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, INFERENCE_LOG: 'true' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => {
      if (isRecord(m) && typeof m.port === 'number') resolve(m.port);
      else reject(new Error(`unexpected message from the server process: ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/predict`;
  const post = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: BODY };
  await autocannon({ url, connections: CONNECTIONS, duration: 1, ...post });
  const result = await load(url);
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  return result;
}

if (process.argv[2] === 'serve') await serve();
else await measure();
