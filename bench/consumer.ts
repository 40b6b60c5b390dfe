// Consumer benchmark, in one run:
//  1. records/s through ONE cleaned processor process over the MultiLang protocol (the real aws-kcl
//     package, S3 stand-in included): processRecords calls of 1,000 Punk API records, timed from
//     the first call to the checkpoint of the last record; and, in this process, the decode
//     ceiling of the same protocol lines done naively (parse the message, base64, JSON.parse the
//     record, select and validate the nine fields, encode CSV; no protocol, no S3): what the
//     processor reaches of it is ratio_to_ceiling. And the protocol's floor: the same lines through
//     aws-kcl with a processor that does nothing (receiving a 1.3 MB line over a pipe and parsing
//     it costs more here than the whole ceiling's decode), and the processor's ratio to it.
//  2. freshness on the local stack: beers put at a steady rate through kinesalite with the local
//     daemon running; freshness = time from PutRecords to the row's object being listable in S3.
//     At 200 records/s, at 2,000, and at 2,000 while a training (`brewstream train` on the 100k
//     rows of part 1) runs beside it.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { kinesisClient, s3Client } from '../lib/aws.js';
import { type CleanedRow, cleanBeer } from '../lib/beer.js';
import { decodeCleanedCsv, encodeCleanedCsv } from '../lib/cleanedCsv.js';
import { createRedis } from '../lib/redis.js';
import { getObjectText, listObjects } from '../lib/s3.js';
import { startDaemon } from '../local/kcl-daemon/daemon.js';
import { niced, TRAINER_NICENESS } from '../local/roles.js';
import { toEntry } from '../producer/batches.js';
import { putAll } from '../producer/putRecords.js';
import { syntheticBeers } from '../producer/sources.js';
import { capturingLogger } from '../test/support/capture.js';
import { kclRecord, startProcessor } from '../test/support/multilang.js';
import { startTestStack } from '../test/support/stack.js';
import { percentile, report } from './report.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);

/**
 * A process's resident memory and its peak, in MiB (Linux /proc). The consumer's per-task sizing
 * (docs/aws.md "Consumer capacity") rests on the processor's peak.
 */
function memoryMiB(pid: number | undefined): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}
const PER_CALL = 1000;
const FRESH_SECONDS = Number(process.env.BENCH_FRESH_SECONDS ?? 15);
const FRESH_RATE = Number(process.env.BENCH_FRESH_RATE ?? 200);
const FRESH_RATE_HIGH = Number(process.env.BENCH_FRESH_RATE_HIGH ?? 2000);
/** Records per object in part 1 (BATCH_MAX_RECORDS), and so per CSV the ceiling encodes. */
const BATCH_RECORDS = 10_000;
const brewstream = path.resolve(import.meta.dirname, '..', 'bin', 'brewstream.js');

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'; // before the stack sets its own env
const stack = await startTestStack({ shards: 2, env: { REDIS_URL: 'redis://127.0.0.1:1' } });

// Part 1: one processor, scripted protocol.
const beers = [...syntheticBeers(RECORDS, true, 10_000_000)];
const base = 49590338271490256608559692538361571095921575989136588800n;
const calls = [];
for (let i = 0; i < RECORDS; i += PER_CALL) {
  calls.push({
    action: 'processRecords',
    millisBehindLatest: 0,
    records: beers
      .slice(i, i + PER_CALL)
      .map((beer, k) =>
        kclRecord(JSON.stringify(beer), String(base + BigInt(i + k)), String(beer.id), Date.now()),
      ),
  });
}
const meanBytes = beers.reduce((n, beer) => n + JSON.stringify(beer).length, 0) / beers.length;
const processor = startProcessor('cleaned', {
  ...stack.env,
  BATCH_MAX_RECORDS: String(BATCH_RECORDS),
  BATCH_MAX_AGE_MS: '1000',
  LOG_LEVEL: 'warn',
  REDIS_URL: 'redis://127.0.0.1:1',
});
await processor.call({
  action: 'initialize',
  shardId: 'shardId-000000000000',
  sequenceNumber: 'TRIM_HORIZON',
});
const idleMemory = memoryMiB(processor.child.pid);
// Serialised beforehand: the scripted daemon's JSON.stringify is no part of the processor's time.
const protocolLines = calls.map((call) => JSON.stringify(call));
const started = performance.now();
for (const line of protocolLines) await processor.callLine(line, 'processRecords');
const loadedMemory = memoryMiB(processor.child.pid);
await processor.call({ action: 'shutdownRequested' }, () => undefined);
const seconds = (performance.now() - started) / 1000;
const recordsPerS = RECORDS / seconds;
await processor.kill('SIGTERM');
process.stderr.write(`processor: ${RECORDS} records in ${seconds.toFixed(2)} s\n`);

/**
 * The naive in-process decode of the same protocol lines: what one process does at best with no
 * protocol and no S3. Whole records are JSON.parsed here, as a straightforward decoder would.
 */
function decodeCeiling(lines: string[]): number {
  const started = performance.now();
  let rows: CleanedRow[] = [];
  let csvBytes = 0;
  for (const line of lines) {
    const message = JSON.parse(line) as { records: { data: string }[] };
    for (const record of message.records) {
      const result = cleanBeer(JSON.parse(Buffer.from(record.data, 'base64').toString('utf8')));
      if (result.ok) rows.push(result.row);
      if (rows.length === BATCH_RECORDS) {
        csvBytes += encodeCleanedCsv(rows).length;
        rows = [];
      }
    }
  }
  if (rows.length > 0) csvBytes += encodeCleanedCsv(rows).length;
  if (csvBytes === 0) throw new Error('the ceiling decoded nothing');
  return RECORDS / ((performance.now() - started) / 1000);
}
// Three runs, the median: the first one also warms the JIT.
const ceilings = [0, 1, 2].map(() => decodeCeiling(protocolLines)).sort((a, b) => a - b);
const ceiling = ceilings[1] as number;
process.stderr.write(`decode ceiling: ${ceilings.map((c) => Math.round(c)).join(', ')} records/s\n`);

/**
 * The same lines through `aws-kcl` with a processor that does nothing (bench/noopProcessor.ts),
 * timed alike: the protocol's floor, which bounds every aws-kcl processor here. Two runs, the faster.
 */
async function protocolFloor(): Promise<number> {
  const noop = startProcessor('noop', {}, path.join(import.meta.dirname, 'noopProcessor.js'));
  await noop.call({ action: 'initialize', shardId: 'shardId-000000000000', sequenceNumber: 'TRIM_HORIZON' });
  const started = performance.now();
  for (const line of protocolLines) await noop.callLine(line, 'processRecords');
  const rate = RECORDS / ((performance.now() - started) / 1000);
  await noop.kill('SIGTERM');
  return rate;
}
const floors = [await protocolFloor(), await protocolFloor()];
const floor = Math.max(...floors);
process.stderr.write(
  `protocol floor (aws-kcl, no-op processor): ${floors.map((c) => Math.round(c)).join(', ')} records/s\n`,
);

// Part 2: freshness through the daemon.
const redis = createRedis(redisUrl);
const freshEnv = {
  ...process.env,
  ...stack.env,
  BATCH_MAX_AGE_MS: '1000',
  LOG_LEVEL: 'warn',
  REDIS_URL: 'redis://127.0.0.1:1',
};
const daemon = await startDaemon({
  kinesis: kinesisClient(stack.config),
  redis,
  applicationName: `${stack.config.consumer.applicationName}-bench`,
  streamName: stack.config.streamName,
  command: [process.execPath, brewstream, 'processor', 'cleaned'],
  env: freshEnv,
  pollIntervalMs: 200,
  maxRecords: 10_000,
  leaseTtlMs: 5000,
  shardSyncMs: 5000,
  logger: capturingLogger().logger,
});
const kinesis = kinesisClient(stack.config);
const s3 = s3Client(stack.config);
const seenAt = new Map<number, number>();
// Objects part 1 wrote are not part of this measurement.
const seenKeys = new Set((await listObjects(s3, stack.config.buckets.cleaned, 'rows/')).map((o) => o.key));
let polling = true;
const poller = (async () => {
  while (polling) {
    for (const object of await listObjects(s3, stack.config.buckets.cleaned, 'rows/')) {
      if (seenKeys.has(object.key)) continue;
      seenKeys.add(object.key);
      const now = Date.now();
      for (const row of decodeCleanedCsv(await getObjectText(s3, stack.config.buckets.cleaned, object.key))) {
        if (!seenAt.has(row.id)) seenAt.set(row.id, now);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
})();
const { logger } = capturingLogger();

/** Puts `rate` beers a second for FRESH_SECONDS (new ids from `firstId`), waits for them, returns their freshness in s. */
async function freshnessAt(rate: number, firstId: number): Promise<{ freshness: number[]; missing: number }> {
  const fresh = [...syntheticBeers(FRESH_SECONDS * rate, true, firstId)];
  const putAt = new Map<number, number>();
  const perTick = Math.max(1, Math.round(rate / 10));
  const t0 = Date.now();
  for (let i = 0; i < fresh.length; i += perTick) {
    const chunk = fresh.slice(i, i + perTick);
    const sentAt = Date.now();
    await putAll(kinesis, chunk.map(toEntry), {
      streamName: stack.config.streamName,
      maxAttempts: 5,
      baseBackoffMs: 20,
      logger,
    });
    for (const beer of chunk) putAt.set(beer.id, sentAt);
    const dueAt = t0 + ((i + chunk.length) / rate) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now())));
  }
  const deadline = Date.now() + 30_000;
  const freshSeen = () => fresh.filter((beer) => seenAt.has(beer.id)).length;
  while (freshSeen() < fresh.length && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const freshness = [...putAt]
    .filter(([id]) => seenAt.has(id))
    .map(([id, at]) => ((seenAt.get(id) as number) - at) / 1000);
  return { freshness, missing: fresh.length - freshness.length };
}

/**
 * `brewstream train` on the cleaned table part 1 filled (its own folder for the plots it saves);
 * resolves once it prints its first epoch, so the load that follows runs beside training proper.
 */
async function startTraining() {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'brewstream-bench-train-'));
  // At the niceness `npm start` gives the trainer role (local/roles.ts).
  const { command, args } = niced(process.execPath, [brewstream, 'train'], TRAINER_NICENESS);
  const child = spawn(command, args, {
    cwd,
    env: { ...freshEnv, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number>((resolve) => child.once('exit', () => resolve(Date.now())));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (/epoch\s+1\//.test(stderr)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`brewstream train exited with ${code} before its first epoch:\n${stderr}`)),
    );
  });
  return {
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

const low = await freshnessAt(FRESH_RATE, 20_000_000);
const high = await freshnessAt(FRESH_RATE_HIGH, 30_000_000);
const training = await startTraining();
const trainingFrom = Date.now();
const busy = await freshnessAt(FRESH_RATE_HIGH, 40_000_000);
const loadEnded = Date.now();
// How much of the loaded phase the training overlapped (1 when it outlasted the puts).
const trainingOverlap = Math.min(
  1,
  ((await Promise.race([training.exited, Promise.resolve(loadEnded)])) - trainingFrom) /
    (loadEnded - trainingFrom),
);
await training.stop();
polling = false;
await poller;
await daemon.stop();
redis.disconnect();
kinesis.destroy();
await stack.close();

const freshness = low.freshness;
const p50 = percentile(freshness, 50);
const p95s = (values: number[]) => Math.round(percentile(values, 95) * 1000) / 1000;
report(
  'consumer',
  {
    records_per_s: Math.round(recordsPerS),
    decode_ceiling_rps: Math.round(ceiling),
    ratio_to_ceiling: Math.round((recordsPerS / ceiling) * 1000) / 1000,
    protocol_floor_rps: Math.round(floor),
    protocol_floor_over_ceiling: Math.round((floor / ceiling) * 1000) / 1000,
    ratio_to_protocol_floor: Math.round((recordsPerS / floor) * 1000) / 1000,
    records: RECORDS,
    mean_record_bytes: Math.round(meanBytes),
    processor_idle_rss_mib: idleMemory.rss,
    processor_peak_rss_mib: loadedMemory.peak,
    freshness_p50_s: Math.round(p50 * 1000) / 1000,
    freshness_p95_s: p95s(freshness),
    freshness_records: freshness.length,
    freshness_missing: low.missing,
    freshness_p50_s_2000: Math.round(percentile(high.freshness, 50) * 1000) / 1000,
    freshness_p95_s_2000: p95s(high.freshness),
    freshness_missing_2000: high.missing,
    freshness_p50_s_2000_training: Math.round(percentile(busy.freshness, 50) * 1000) / 1000,
    freshness_p95_s_2000_training: p95s(busy.freshness),
    freshness_missing_2000_training: busy.missing,
    training_overlap: Math.round(trainingOverlap * 100) / 100,
    firehose_default_buffer_s: 300,
    firehose_buffer_over_p50: Math.round(300 / p50),
  },
  `one cleaned processor via MultiLang + S3 stand-in, decode ceiling in-process (median of 3); freshness at ${FRESH_RATE}/s and ${FRESH_RATE_HIGH}/s (alone, then beside brewstream train) for ${FRESH_SECONDS}s each, 2 shards, BATCH_MAX_AGE_MS=1000, poll 200 ms`,
);
process.exit(0);
