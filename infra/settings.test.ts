import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONSUMER_JVM_MIB,
  CONSUMER_PROCESSOR_MIB,
  defaultNames,
  loadSettings,
  TRAINER_BASE_MIB,
  TRAINER_ROW_KIB,
} from './settings.js';

// A trial's context unless a test says otherwise: the defaults have no certificate.
const settings = (context: Record<string, unknown>) =>
  loadSettings((key) => ({ allowKeysOverHttp: true, ...context })[key]);
const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/abc';

describe('settings', () => {
  it('derives every shared name from the stack name', () => {
    assert.deepEqual(defaultNames('Brewstream'), {
      streamName: 'brewstream-beers',
      applicationName: 'brewstream-cleaned',
      glueDatabase: 'brewstream',
      cacheId: 'brewstream-redis',
    });
    const staging = settings({ stackName: 'Brew-Staging' });
    assert.equal(staging.streamName, 'brew-staging-beers');
    assert.equal(staging.glueDatabase, 'brew_staging');
    assert.equal(staging.cacheId, 'brew-staging-redis');
    // An explicit name still wins.
    assert.equal(settings({ streamName: 'ales' }).streamName, 'ales');
  });

  it('gives the consumer one task per consumerShardsPerTask shards', () => {
    assert.equal(settings({}).consumer.tasks, 1);
    assert.equal(settings({ shardCount: 4 }).consumer.tasks, 1);
    assert.equal(settings({ shardCount: 5 }).consumer.tasks, 2);
    assert.equal(settings({ shardCount: 500 }).consumer.tasks, 125);
    assert.equal(settings({ shardCount: 5, consumerShardsPerTask: 2 }).consumer.tasks, 3);
  });

  it('refuses more shards per task than the task memory holds, and accepts them with more memory', () => {
    const perTask = 9;
    const needed = CONSUMER_JVM_MIB + perTask * CONSUMER_PROCESSOR_MIB;
    assert.throws(
      () => settings({ consumerShardsPerTask: perTask }),
      new RegExp(`consumerShardsPerTask: 9 shards need ${needed} MiB per task`),
    );
    const bigger = settings({ consumerShardsPerTask: perTask, consumerMemoryMiB: 4096 });
    assert.equal(bigger.consumer.shardsPerTask, perTask);
  });

  it('sizes the trainer by its training-set bound: refuses a task too small for trainMaxRows, accepts a bigger one', () => {
    assert.equal(settings({}).trainer.maxRows, 100_000);
    const rows = 500_000;
    const needed = TRAINER_BASE_MIB + Math.ceil((rows * TRAINER_ROW_KIB) / 1024);
    assert.throws(
      () => settings({ trainMaxRows: rows }),
      new RegExp(`trainMaxRows: 500000 rows need ${needed} MiB per trainer task`),
    );
    assert.equal(settings({ trainMaxRows: rows, trainerMemoryMiB: 8192 }).trainer.maxRows, rows);
  });

  it('keeps the poll interval at or above 400 ms (Firehose and the consumer share 5 reads a second)', () => {
    assert.throws(
      () => settings({ consumerPollIntervalMs: 250 }),
      /consumerPollIntervalMs: must be between 400/,
    );
    assert.equal(settings({ consumerPollIntervalMs: 400 }).consumer.pollIntervalMs, 400);
  });

  it('refuses a stack name that would make an invalid or too long derived name', () => {
    assert.throws(() => settings({ stackName: 'a'.repeat(31) }), /stackName: at most 30 characters/);
    assert.throws(() => settings({ stackName: 'ends-' }), /stackName: "ends-" is not a stack name/);
  });

  it("refuses memory sizes Fargate refuses: 1 GiB steps per CPU size, and 256 units' three sizes", () => {
    assert.throws(
      () => settings({ serverCpu: 1024, serverMemoryMiB: 3000 }),
      /serverMemoryMiB: Fargate allows 2048-8192 MiB in 1024 MiB steps with 1024 CPU units, got 3000/,
    );
    assert.throws(
      () => settings({ trainerCpu: 4096, trainerMemoryMiB: 8704 }),
      /trainerMemoryMiB: Fargate allows 8192-30720 MiB in 1024 MiB steps with 4096 CPU units, got 8704/,
    );
    assert.throws(
      () => settings({ consumerCpu: 256, consumerMemoryMiB: 1536, consumerShardsPerTask: 1 }),
      /consumerMemoryMiB: Fargate allows 512, 1024 or 2048 MiB with 256 CPU units, got 1536/,
    );
    // The ends of each range and a step between them pass.
    assert.equal(settings({ serverCpu: 1024, serverMemoryMiB: 3072 }).server.memoryMiB, 3072);
    assert.equal(settings({ trainerCpu: 4096, trainerMemoryMiB: 30_720 }).trainer.memoryMiB, 30_720);
    assert.equal(settings({ serverCpu: 256, serverMemoryMiB: 512 }).server.memoryMiB, 512);
  });

  it('refuses API keys over plain HTTP unless a certificate is set or the trial flag says so', () => {
    const refused =
      /certificateArn: not set, so the load balancer speaks plain HTTP and every API key .* would cross the network in clear text; set certificateArn to an ACM certificate, or allowKeysOverHttp=true for a trial/;
    assert.throws(() => loadSettings(() => undefined), refused);
    assert.throws(() => settings({ allowKeysOverHttp: false }), refused);
    // `-c allowKeysOverHttp=true` is text; cdk.json's is a boolean.
    assert.equal(settings({ allowKeysOverHttp: 'true' }).allowKeysOverHttp, true);
    const secure = settings({ allowKeysOverHttp: false, certificateArn: CERTIFICATE });
    assert.equal(secure.certificateArn, CERTIFICATE);
  });

  it('gives the server a production rate limit unless told otherwise', () => {
    assert.equal(settings({}).server.rateLimitPerMinute, 600);
    assert.equal(settings({ serverRateLimitPerMinute: '1200' }).server.rateLimitPerMinute, 1200);
    assert.throws(
      () => settings({ serverRateLimitPerMinute: 0 }),
      /serverRateLimitPerMinute: must be between 1/,
    );
  });
});
