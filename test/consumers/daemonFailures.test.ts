// The local daemon when something it depends on fails: a Kinesis that refuses access or keeps
// failing, a processor command that cannot be started, a checkpoint store that does not answer.
// Kinesis is played by an HTTP server here, answering each API call as the test says; Redis is the
// shared one, under fresh key names.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kinesisClient } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createRedis } from '../../lib/redis.js';
import type { CheckpointStore } from '../../local/kcl-daemon/checkpointStore.js';
import { startDaemon } from '../../local/kcl-daemon/daemon.js';
import { runShard } from '../../local/kcl-daemon/shardRunner.js';
import { capturingLogger } from '../support/capture.js';
import { until } from '../support/wait.js';

const fixture = path.resolve(import.meta.dirname, '..', 'fixtures', 'appendProcessor.js');
const SHARD = 'shardId-000000000000';
/** A wait inside a test, short of the test's own 30 s, so the failure names what never happened. */
const WITHIN_TEST_MS = 25_000;

type Answer = { status: number; body: object };
const error = (status: number, type: string): Answer => ({
  status,
  body: { __type: type, message: `${type} from the test` },
});

describe('local daemon failures', () => {
  let server: Server;
  /** The answer to each Kinesis API call (by the X-Amz-Target operation); ListShards lists one shard. */
  let answers: Record<string, Answer> = {};
  const calls: string[] = [];
  const id = randomBytes(4).toString('hex');
  const application = `test-failures-${id}`;
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        calls.push(operation);
        const answer =
          answers[operation] ??
          (operation === 'ListShards'
            ? {
                status: 200,
                body: {
                  Shards: [
                    {
                      ShardId: SHARD,
                      HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' },
                      SequenceNumberRange: { StartingSequenceNumber: '1' },
                    },
                  ],
                },
              }
            : error(500, 'InternalFailure'));
        response
          .writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_KINESIS: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
  });
  after(async () => {
    const keys = await redis.keys(`kcl:${application}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const daemonWith = (command: string[], suffix: string) => {
    const { logger, lines } = capturingLogger();
    const kinesis = kinesisClient(loadConfig());
    const started = startDaemon({
      kinesis,
      redis,
      applicationName: `${application}-${suffix}`,
      streamName: 'beers',
      command,
      env: process.env,
      pollIntervalMs: 50,
      maxRecords: 100,
      leaseTtlMs: 3000,
      shardSyncMs: 200,
      logger,
    });
    return { started, lines, kinesis };
  };

  it('AccessDenied from Kinesis ends the shard runner and the daemon with a clear error, not retried', {
    timeout: 30_000,
  }, async () => {
    answers = { GetShardIterator: error(400, 'AccessDeniedException') };
    calls.length = 0;
    const { started, kinesis } = daemonWith([process.execPath, fixture, '/dev/null'], 'denied');
    const daemon = await started;
    await assert.rejects(daemon.done, /AccessDeniedException.*not retried/s);
    assert.equal(calls.filter((c) => c === 'GetShardIterator').length, 1, calls.join(','));
    kinesis.destroy();
  });

  it('stop ends a runner whose reads keep failing, at once', { timeout: 30_000 }, async () => {
    answers = { GetShardIterator: error(500, 'InternalFailure') };
    calls.length = 0;
    const { started, lines, kinesis } = daemonWith([process.execPath, fixture, '/dev/null'], 'failing');
    const daemon = await started;
    // Stopped while backing off between failed reads. Waited for by its log line: three calls can
    // all be the SDK's own retries of the first read, before the runner's backoff begins.
    await until(
      'the runner backing off after failed reads',
      async () => lines.some((line) => line.msg === 'GetRecords backing off'),
      WITHIN_TEST_MS,
    );
    assert.ok(calls.filter((c) => c === 'GetShardIterator').length >= 3, calls.join(','));
    await daemon.stop();
    await daemon.done;
    kinesis.destroy();
  });

  it('a processor command that cannot be started ends the daemon with a clear error', {
    timeout: 30_000,
  }, async () => {
    answers = { GetShardIterator: error(500, 'InternalFailure') };
    const { started, kinesis } = daemonWith(['/nonexistent/brewstream-processor'], 'nospawn');
    const daemon = await started;
    await assert.rejects(
      daemon.done,
      /cannot start the processor \/nonexistent\/brewstream-processor: .*ENOENT/,
    );
    kinesis.destroy();
  });

  it('a checkpoint store that fails while a shard starts is retried, and the runner goes on once it answers', {
    timeout: 30_000,
  }, async () => {
    answers = { GetShardIterator: error(500, 'InternalFailure') };
    let failures = 2;
    const store: CheckpointStore = {
      get: async () => {
        if (failures-- > 0) throw new Error('Command timed out');
        return undefined;
      },
      set: async () => {},
    };
    const { logger, lines } = capturingLogger();
    const kinesis = kinesisClient(loadConfig());
    const runner = runShard(
      {
        kinesis,
        store,
        streamName: 'beers',
        command: [process.execPath, fixture, '/dev/null'],
        env: process.env,
        pollIntervalMs: 50,
        maxRecords: 100,
        logger,
      },
      SHARD,
    );
    await until(
      'the processor to start',
      async () => lines.some((line) => line.msg === 'processor started'),
      WITHIN_TEST_MS,
    );
    assert.equal(failures, -1, 'read twice in vain, then once more');
    await runner.stop();
    assert.equal(await runner.done, 'stopped');
    kinesis.destroy();
  });
});
