// Resharding: a shard is split while records flow. The daemon must read the parent to its end and
// checkpoint SHARD_END before it starts the children, so no record is lost and the records of each
// partition key are processed in the order they were put.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeStreamSummaryCommand, ListShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../lib/aws.js';
import { createRedis } from '../../lib/redis.js';
import { checkpointKey, SHARD_END } from '../../local/kcl-daemon/checkpointStore.js';
import { type Daemon, startDaemon } from '../../local/kcl-daemon/daemon.js';
import { putAll } from '../../producer/putRecords.js';
import { capturingLogger } from '../support/capture.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { sleep, waitFor } from '../support/wait.js';

const fixture = path.resolve(import.meta.dirname, '..', 'fixtures', 'appendProcessor.js');
const KEYS = 20;
const ROUNDS = 6;
const PER_ROUND = 10;

describe('resharding', () => {
  let stack: TestStack;
  let dir: string;
  let daemon: Daemon | undefined;
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

  before(async () => {
    stack = await startTestStack({ shards: 1 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'brewstream-reshard-'));
  });
  after(async () => {
    await daemon?.stop();
    await stack.clearRedis(redis);
    redis.disconnect();
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loses no record and keeps each partition key in order across a split', async () => {
    const kinesis = kinesisClient(stack.config);
    const out = path.join(dir, 'records.txt');
    daemon = await startDaemon({
      kinesis,
      redis,
      applicationName: stack.config.consumer.applicationName,
      streamName: stack.config.streamName,
      command: [process.execPath, fixture, out],
      env: process.env,
      pollIntervalMs: 50,
      maxRecords: 10_000,
      leaseTtlMs: 3000,
      shardSyncMs: 200,
      logger: capturingLogger().logger,
    });
    const { logger } = capturingLogger();
    const put = async (round: number) => {
      const entries = [];
      for (let i = 0; i < PER_ROUND; i += 1) {
        for (let k = 0; k < KEYS; k += 1) {
          entries.push({ Data: Buffer.from(String(round * PER_ROUND + i)), PartitionKey: `key-${k}` });
        }
      }
      // One key's records in one call keep their order; calls go one after another.
      const outcome = await putAll(kinesis, entries, {
        streamName: stack.config.streamName,
        maxAttempts: 5,
        baseBackoffMs: 10,
        logger,
      });
      assert.equal(outcome.put, entries.length);
    };

    for (let round = 0; round < ROUNDS / 2; round += 1) await put(round);
    await sleep(300);
    const parent = 'shardId-000000000000';
    await kinesis.send(
      new SplitShardCommand({
        StreamName: stack.config.streamName,
        ShardToSplit: parent,
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitFor(
      'the split to finish',
      async () =>
        (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stack.config.streamName })))
          .StreamDescriptionSummary?.StreamStatus,
      (status) => status === 'ACTIVE',
    );
    for (let round = ROUNDS / 2; round < ROUNDS; round += 1) await put(round);

    const total = KEYS * ROUNDS * PER_ROUND;
    const lines = await waitFor(
      `${total} records processed`,
      async () => (await readFile(out, 'utf8').catch(() => '')).split('\n').filter(Boolean),
      (l) => l.length >= total,
      60_000,
    );
    assert.equal(lines.length, total, 'no record processed twice');

    const shards =
      (await kinesis.send(new ListShardsCommand({ StreamName: stack.config.streamName }))).Shards ?? [];
    const children = shards.filter((s) => s.ParentShardId === parent).map((s) => s.ShardId);
    assert.equal(children.length, 2);
    const byKey = new Map<string, Array<{ shard: string; n: number }>>();
    for (const line of lines) {
      const [shard, key, n] = line.split(' ') as [string, string, string];
      byKey.set(key, [...(byKey.get(key) ?? []), { shard, n: Number(n) }]);
    }
    for (const [key, seen] of byKey) {
      assert.deepEqual(
        seen.map((s) => s.n),
        Array.from({ length: ROUNDS * PER_ROUND }, (_, i) => i),
        `${key} in order, complete`,
      );
      const firstChild = seen.findIndex((s) => s.shard !== parent);
      assert.ok(firstChild > 0, `${key} was read from the parent first`);
      assert.ok(
        seen.slice(firstChild).every((s) => children.includes(s.shard)),
        `${key} never went back to the parent`,
      );
    }
    assert.equal(
      await redis.get(checkpointKey(stack.config.consumer.applicationName, stack.config.streamName, parent)),
      SHARD_END,
    );
    kinesis.destroy();
  });
});
