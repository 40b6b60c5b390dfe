// Producer throughput into the Kinesis stand-in: the same records put with batched PutRecords
// (what the producer does) and with one PutRecord call each, in one run on one stand-in.
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../lib/aws.js';
import { toEntry } from '../producer/batches.js';
import { putAll } from '../producer/putRecords.js';
import { syntheticBeers } from '../producer/sources.js';
import { capturingLogger } from '../test/support/capture.js';
import { startTestStack } from '../test/support/stack.js';
import { report } from './report.js';

const BATCHED = Number(process.env.BENCH_RECORDS ?? 20_000);
const SINGLE = Number(process.env.BENCH_SINGLE_RECORDS ?? 2_000);
const CONCURRENCY = 8; // single puts in flight at once, as a reasonable client would do

const stack = await startTestStack({ shards: 2 });
const kinesis = kinesisClient(stack.config);
const entries = [...syntheticBeers(BATCHED, true)].map(toEntry);
const bytes = entries.reduce((n, e) => n + e.Data.byteLength, 0) / entries.length;

// Warm up connections and the stand-in.
await putAll(kinesis, entries.slice(0, 500), {
  streamName: stack.config.streamName,
  maxAttempts: 5,
  baseBackoffMs: 50,
  logger: capturingLogger().logger,
});

let started = performance.now();
const outcome = await putAll(kinesis, entries, {
  streamName: stack.config.streamName,
  maxAttempts: 8,
  baseBackoffMs: 50,
  logger: capturingLogger().logger,
});
const batchedSeconds = (performance.now() - started) / 1000;

started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < SINGLE) {
      const entry = entries[next++] as (typeof entries)[number];
      await kinesis.send(
        new PutRecordCommand({
          StreamName: stack.config.streamName,
          Data: entry.Data,
          PartitionKey: entry.PartitionKey,
        }),
      );
    }
  }),
);
const singleSeconds = (performance.now() - started) / 1000;

kinesis.destroy();
await stack.close();

const batched = outcome.put / batchedSeconds;
const single = SINGLE / singleSeconds;
report(
  'producer',
  {
    batched_records_per_s: Math.round(batched),
    single_records_per_s: Math.round(single),
    ratio: Math.round((batched / single) * 100) / 100,
    batched_records: outcome.put,
    single_records: SINGLE,
    single_concurrency: CONCURRENCY,
    mean_record_bytes: Math.round(bytes),
    failed: outcome.failed.length,
  },
  'kinesalite on loopback, 2 shards, Punk API beers with distinct ids',
);
