// The processors' stream metrics through real Redis: a processor and sink wrapped as
// consumers/processor/main.ts wraps them publish what passed through them, and the reader the
// server uses gets it back per shard; with Redis away nothing is lost, only late.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import type { RecordProcessor } from 'aws-kcl';
import { streamMetrics } from '../../consumers/metrics/streamMetrics.js';
import type { Sink } from '../../consumers/processor/batchingProcessor.js';
import { loadConfig } from '../../lib/config.js';
import { createRedis } from '../../lib/redis.js';
import { readStreamMetrics } from '../../lib/streamMetrics.js';
import { capturingLogger } from '../support/capture.js';
import { noRedisServer, privateRedis } from '../support/redisServer.js';
import { until } from '../support/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = createRedis(REDIS_URL);
const prefix = `test-metrics-${randomBytes(4).toString('hex')}`;

after(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

type Item = { row: number } | { reason: string };
const record = (n: number) => ({ data: '', partitionKey: 'k', sequenceNumber: String(n) });
const noop = () => {};

/** What the wrappers hand on, to show they pass every call through. */
function recording() {
  const calls: string[] = [];
  const processor: RecordProcessor = {
    initialize: (input, done) => {
      calls.push(`initialize ${input.shardId}`);
      done();
    },
    processRecords: (input, done) => {
      calls.push(`processRecords ${input.records.length}`);
      done();
    },
    leaseLost: (_input, done) => done(),
    shardEnded: (_input, done) => done(),
    shutdownRequested: (_input, done) => done(),
  };
  const sink: Sink<Item> = {
    decode: () => ({ row: 1 }),
    existingEnd: async () => undefined,
    write: async () => 'written',
    written: (shardId, batch) => calls.push(`written ${shardId} ${batch.length}`),
  };
  return { calls, processor, sink };
}

test('records, lag, freshness and dead letters per shard reach the reader', async () => {
  let clock = Date.UTC(2030, 0, 1) + (Date.now() % 86_400_000);
  const config = loadConfig({ ...process.env, REDIS_URL, QUEUE_PREFIX: prefix });
  const metrics = streamMetrics(config, 'cleaned', capturingLogger().logger, { now: () => clock });
  const { calls, processor, sink } = recording();
  const wrapped = metrics.processor(processor);
  const wrappedSink = metrics.sink(sink, (item) => ('reason' in item ? item.reason : undefined));
  const checkpointer = { checkpoint: noop };
  wrapped.initialize({ shardId: 'shardId-000000000001' }, noop);
  wrapped.processRecords(
    { records: [record(1), record(2), record(3)], millisBehindLatest: 5000, checkpointer },
    noop,
  );
  wrapped.processRecords({ records: [record(4)], millisBehindLatest: 0, checkpointer }, noop);
  const arrival = clock - 1500;
  const buffered = (seq: number, item: Item) => ({
    sequenceNumber: String(seq),
    seq: BigInt(seq),
    partitionKey: 'k',
    arrival: arrival + seq,
    bytes: 10,
    item,
  });
  wrappedSink.written?.('shardId-000000000001', [
    buffered(1, { row: 1 }),
    buffered(2, { reason: 'abv: expected a finite number or null, got "x"' }),
    buffered(3, { reason: 'abv: expected a finite number or null, got -1' }),
    buffered(4, { reason: 'not JSON: Unexpected end' }),
  ]);
  clock += 10;
  await metrics.close();

  assert.deepEqual(calls, [
    'initialize shardId-000000000001',
    'processRecords 3',
    'processRecords 1',
    'written shardId-000000000001 4',
  ]);
  const read = await readStreamMetrics(redis, prefix);
  assert.deepEqual(read.raw, []);
  assert.deepEqual(read.cleaned, [
    {
      shardId: 'shardId-000000000001',
      records: 4,
      lagMs: 0,
      // Written at clock - 10 ms of the close; the oldest record arrived 1499 ms before that.
      freshnessMs: 1499,
      deadLetters: { abv: 2, 'not JSON': 1 },
      updatedAt: new Date(clock).toISOString(),
    },
  ]);
});

test('with Redis away the counts wait and are published, added up, once it is back', {
  skip: noRedisServer,
}, async () => {
  const own = await privateRedis();
  await own.start();
  try {
    const config = loadConfig({ ...process.env, REDIS_URL: own.url, QUEUE_PREFIX: prefix });
    const { logger, lines } = capturingLogger();
    const metrics = streamMetrics(config, 'raw', logger);
    const { processor } = recording();
    const wrapped = metrics.processor(processor);
    wrapped.initialize({ shardId: 'shardId-000000000000' }, noop);
    await own.stop();
    wrapped.processRecords({ records: [record(1), record(2)], checkpointer: { checkpoint: noop } }, noop);
    await metrics.flush();
    assert.ok(lines.some((l) => l.msg === 'could not publish stream metrics; will retry'));
    await own.start();
    wrapped.processRecords({ records: [record(3)], checkpointer: { checkpoint: noop } }, noop);
    const reader = createRedis(own.url);
    try {
      let records = 0;
      await until(
        'the three records published',
        async () => {
          await metrics.flush();
          records = (await readStreamMetrics(reader, prefix)).raw[0]?.records ?? 0;
          return records >= 3;
        },
        15_000,
      );
      assert.equal(records, 3, 'every record counted once');
    } finally {
      reader.disconnect();
      await metrics.close();
    }
  } finally {
    await own.stop();
  }
});
