// Consumer benchmark, two parts in one run:
//  1. records/s through ONE cleaned processor process over the MultiLang protocol (the real aws-kcl
//     package, S3 stand-in included): processRecords calls of 1,000 Punk API records, timed from
//     the first call to the checkpoint of the last record.
//  2. freshness on the local stack: beers put at a steady rate through kinesalite with the local
//     daemon running; freshness = time from PutRecords to the row's object being listable in S3.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kinesisClient, s3Client } from '../lib/aws.js';
import { decodeCleanedCsv } from '../lib/cleanedCsv.js';
import { createRedis } from '../lib/redis.js';
import { getObjectText, listObjects } from '../lib/s3.js';
import { startDaemon } from '../local/kcl-daemon/daemon.js';
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
  BATCH_MAX_RECORDS: '10000',
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
const started = performance.now();
for (const call of calls) await processor.call(call, () => undefined);
const loadedMemory = memoryMiB(processor.child.pid);
await processor.call({ action: 'shutdownRequested' }, () => undefined);
const seconds = (performance.now() - started) / 1000;
const recordsPerS = RECORDS / seconds;
await processor.kill('SIGTERM');
process.stderr.write(`processor: ${RECORDS} records in ${seconds.toFixed(2)} s\n`);

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
const putAt = new Map<number, number>();
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
const fresh = [...syntheticBeers(FRESH_SECONDS * FRESH_RATE, true, 20_000_000)];
const { logger } = capturingLogger();
const t0 = Date.now();
for (let i = 0; i < fresh.length; i += FRESH_RATE / 10) {
  const chunk = fresh.slice(i, i + FRESH_RATE / 10);
  const sentAt = Date.now();
  await putAll(kinesis, chunk.map(toEntry), {
    streamName: stack.config.streamName,
    maxAttempts: 5,
    baseBackoffMs: 20,
    logger,
  });
  for (const beer of chunk) putAt.set(beer.id, sentAt);
  const due = t0 + ((i + chunk.length) / FRESH_RATE) * 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
}
const deadline = Date.now() + 30_000;
const freshSeen = () => fresh.filter((beer) => seenAt.has(beer.id)).length;
while (freshSeen() < fresh.length && Date.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 100));
polling = false;
await poller;
const freshness = [...putAt]
  .filter(([id]) => seenAt.has(id))
  .map(([id, at]) => ((seenAt.get(id) as number) - at) / 1000);
await daemon.stop();
redis.disconnect();
kinesis.destroy();
await stack.close();

const p50 = percentile(freshness, 50);
report(
  'consumer',
  {
    records_per_s: Math.round(recordsPerS),
    records: RECORDS,
    mean_record_bytes: Math.round(meanBytes),
    processor_idle_rss_mib: idleMemory.rss,
    processor_peak_rss_mib: loadedMemory.peak,
    freshness_p50_s: Math.round(p50 * 1000) / 1000,
    freshness_p95_s: Math.round(percentile(freshness, 95) * 1000) / 1000,
    freshness_records: freshness.length,
    freshness_missing: fresh.length - freshness.length,
    firehose_default_buffer_s: 300,
    firehose_buffer_over_p50: Math.round(300 / p50),
  },
  `one cleaned processor via MultiLang + S3 stand-in; freshness at ${FRESH_RATE}/s for ${FRESH_SECONDS}s, 2 shards, BATCH_MAX_AGE_MS=1000, poll 200 ms`,
);
process.exit(0);
