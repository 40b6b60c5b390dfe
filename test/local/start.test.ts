// `npm start` as a user runs it, through npm, with its own ports, data directory and Redis port (so
// it starts its own redis-server). It comes up, the producer replays the 325 beers onto every
// shard, and a SIGTERM to the npm process (what `timeout`, a process manager or a container
// runtime sends) stops the whole stack: start.js, redis-server, every role and every processor.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kinesisClient } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { redisAnswers } from '../../lib/redis.js';
import { readStream } from '../../local/readStream.js';
import { S3RVER_CREDENTIALS } from '../../local/s3StandIn.js';
import { type LocalStack, startLocalStack, wholeStack } from '../support/localStack.js';
import { waitFor } from '../support/wait.js';

describe('npm start', () => {
  let stack: LocalStack;

  before(async () => {
    stack = await startLocalStack();
  });

  after(async () => {
    await stack.cleanup();
  });

  it('comes up and the producer replays all 325 beers onto every shard', async () => {
    const up = await stack.up();
    const clientEnv = {
      ...S3RVER_CREDENTIALS,
      AWS_ENDPOINT_URL_KINESIS: `http://127.0.0.1:${stack.env.KINESIS_PORT}`,
    };
    Object.assign(process.env, clientEnv);
    const kinesis = kinesisClient(loadConfig({ ...stack.env, ...clientEnv }));
    const streamName = 'beers';
    const beersOn = (shards: Awaited<ReturnType<typeof readStream>>) =>
      new Set(shards.flatMap((shard) => [...shard.ids])).size;
    const shards = await waitFor(
      (seen) => `325 beers on the stream, not ${beersOn(seen)}:\n${stack.lines.slice(-20).join('\n')}`,
      () => readStream(kinesis, streamName),
      (seen) => beersOn(seen) >= 325,
      60_000,
      500,
    );
    assert.equal(shards.length, 2);
    for (const shard of shards) assert.ok(shard.records > 0, `${shard.shardId} is empty`);
    kinesis.destroy();
    assert.equal(up.redis, stack.env.REDIS_URL);
  });

  it('stops every process it started when npm gets SIGTERM', async () => {
    await stack.waitForProcesses(wholeStack, 'whole stack running', 60_000);
    assert.ok(stack.child.kill('SIGTERM'));
    const left = await stack.waitUntilAllGone(45_000);
    assert.deepEqual(
      left.map((info) => `${info.pid} ${info.command}`),
      [],
      `processes left running 45 s after SIGTERM:\n${stack.lines.slice(-20).join('\n')}`,
    );
    const { code } = await stack.exited;
    assert.equal(code, 0, 'npm reports the stack stopped cleanly');
    assert.equal(await redisAnswers(stack.env.REDIS_URL as string, 300), false, 'its redis-server is gone');
  });
});
