// PutRecords against the real Kinesis stand-in, with failures injected by an SDK middleware on the
// real client: it holds some entries back from the request and answers them as throttled, exactly
// as Kinesis reports a partial failure (the held-back records are never written).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KinesisClient, PutRecordsCommandInput, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../lib/aws.js';
import { readStream } from '../../local/readStream.js';
import { toEntry } from '../../producer/batches.js';
import { putAll } from '../../producer/putRecords.js';
import { syntheticBeers } from '../../producer/sources.js';
import { capturingLogger } from '../support/capture.js';
import { startTestStack, type TestStack } from '../support/stack.js';

type Rule = (partitionKey: string, attempt: number) => boolean;

/** Fails the entries the rule picks (attempt counts per partition key), and whole calls on demand. */
function injectFailures(kinesis: KinesisClient, rule: Rule, failWholeCalls = 0) {
  const attempts = new Map<string, number>();
  let wholeCallsLeft = failWholeCalls;
  kinesis.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as PutRecordsCommandInput;
      if (!input.Records) return next(args);
      if (wholeCallsLeft > 0) {
        wholeCallsLeft -= 1;
        const error = new Error('Rate exceeded for stream');
        error.name = 'ProvisionedThroughputExceededException';
        throw error;
      }
      const fail = input.Records.map((record) => {
        const key = record.PartitionKey as string;
        const attempt = attempts.get(key) ?? 0;
        attempts.set(key, attempt + 1);
        return rule(key, attempt);
      });
      const kept = input.Records.filter((_, i) => !fail[i]);
      const result =
        kept.length > 0 ? await next({ ...args, input: { ...input, Records: kept } }) : undefined;
      const real = [
        ...(((result?.output as PutRecordsCommandOutput | undefined)?.Records ?? []) as object[]),
      ];
      const merged = fail.map((failed) =>
        failed
          ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' }
          : real.shift(),
      );
      const output = { $metadata: {}, FailedRecordCount: fail.filter(Boolean).length, Records: merged };
      return { response: result?.response, output } as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'injectFailures' },
  );
}

describe('putAll against the Kinesis stand-in', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ shards: 2 });
  });
  after(async () => {
    await stack.close();
  });

  it('retries only the failed entries until every record has landed exactly once', async () => {
    const kinesis = kinesisClient(stack.config);
    // A third of the records fail on their first two attempts, and the first whole call is throttled.
    injectFailures(kinesis, (key, attempt) => Number(key) % 3 === 0 && attempt < 2, 1);
    const beers = [...syntheticBeers(1200, true, 5_000_000)];
    const { logger, lines } = capturingLogger();
    const outcome = await putAll(kinesis, beers.map(toEntry), {
      streamName: stack.config.streamName,
      maxAttempts: 5,
      baseBackoffMs: 5,
      logger,
    });
    assert.equal(outcome.put, 1200);
    assert.deepEqual(outcome.failed, []);
    assert.ok(outcome.retried >= 400 + 500, `retried ${outcome.retried}`);
    assert.ok(lines.some((line) => line.msg === 'retrying failed records'));

    const shards = await readStream(kinesis, stack.config.streamName);
    const ids = shards.flatMap((shard) => [...shard.ids]);
    const records = shards.reduce((n, shard) => n + shard.records, 0);
    assert.equal(records, 1200, 'no record written twice');
    assert.deepEqual(new Set(ids), new Set(beers.map((beer) => String(beer.id))));
    kinesis.destroy();
  });

  it('reports a record that still fails after the retry budget, with its id, and puts the rest', async () => {
    const kinesis = kinesisClient(stack.config);
    injectFailures(kinesis, (key) => key === '6000007');
    const beers = [...syntheticBeers(20, true, 6_000_000)];
    const { logger, lines } = capturingLogger();
    const outcome = await putAll(kinesis, beers.map(toEntry), {
      streamName: stack.config.streamName,
      maxAttempts: 3,
      baseBackoffMs: 1,
      logger,
    });
    assert.equal(outcome.put, 19);
    assert.equal(outcome.failed.length, 1);
    assert.equal(outcome.failed[0]?.partitionKey, '6000007');
    assert.match(outcome.failed[0]?.error ?? '', /ProvisionedThroughputExceededException/);
    const logged = lines.find((line) => line.msg === 'record not put after retries');
    assert.equal(logged?.beerId, '6000007');
    assert.equal(logged?.attempts, 3);
    kinesis.destroy();
  });

  it('refuses a record over the 1 MiB limit without sending it', async () => {
    const kinesis = kinesisClient(stack.config);
    const { logger } = capturingLogger();
    const huge = { id: 7_000_001, description: 'x'.repeat(1024 * 1024) };
    const outcome = await putAll(kinesis, [toEntry(huge), toEntry({ id: 7_000_002 })], {
      streamName: stack.config.streamName,
      maxAttempts: 2,
      baseBackoffMs: 1,
      logger,
    });
    assert.equal(outcome.put, 1);
    assert.equal(outcome.failed[0]?.partitionKey, '7000001');
    assert.match(outcome.failed[0]?.error ?? '', /over the 1 MiB limit/);
    kinesis.destroy();
  });
});
