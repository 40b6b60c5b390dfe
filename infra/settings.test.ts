import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONSUMER_JVM_MIB, CONSUMER_PROCESSOR_MIB, defaultNames, loadSettings } from './settings.js';

const settings = (context: Record<string, unknown>) => loadSettings((key) => context[key]);

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
});
