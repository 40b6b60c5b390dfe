// A retrain whose S3 reads fail for a while (503 SlowDown beyond the SDK's own attempts, as S3
// answers under load) is an attempt that fails and is retried, not a corrupt object: the job
// succeeds on its next attempt. The S3 side is the stand-in behind a proxy that answers the first
// GETs of rows/ objects with S3's SlowDown document.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueueEvents } from 'bullmq';
import beers from 'punkapi-db' with { type: 'json' };
import { s3Client } from '../../lib/aws.js';
import { type CleanedRow, cleanBeer } from '../../lib/beer.js';
import { encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { rowsKey } from '../../lib/cleanedKeys.js';
import { createBlockingRedis, createRedis, RETRAIN_QUEUE } from '../../lib/redis.js';
import { enqueueRetrain, retrainQueue } from '../../lib/retrainQueue.js';
import { putObject } from '../../lib/s3.js';
import { startWorker } from '../../trainer/worker.js';
import { capturingLogger } from '../support/capture.js';
import { utcDay } from '../support/clock.js';
import { clientThrough, type S3Proxy, startS3Proxy } from '../support/s3Proxy.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const rows: CleanedRow[] = (beers as unknown[]).flatMap((beer) => {
  const result = cleanBeer(beer);
  return result.ok ? [result.row] : [];
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** More than the SDK's 3 attempts for each of the two objects: the first job attempt cannot read them. */
const FAILED_GETS = 6;

describe('trainer: S3 failing for a while', () => {
  let stack: TestStack;
  let proxy: S3Proxy;
  let failed = 0;
  const { logger, lines } = capturingLogger();
  const connections: ReturnType<typeof createRedis>[] = [];
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    stack = await startTestStack({ stream: false, env: { TRAIN_MAX_EPOCHS: '20', TRAIN_PATIENCE: '5' } });
    const bucket = stack.config.buckets.cleaned;
    const direct = s3Client(stack.config);
    await putObject(
      direct,
      bucket,
      rowsKey(utcDay(-1), 'shardId-0', '1'),
      encodeCleanedCsv(rows.slice(0, 160)),
      'text/csv',
    );
    await putObject(
      direct,
      bucket,
      rowsKey(utcDay(0), 'shardId-1', '1'),
      encodeCleanedCsv(rows.slice(160)),
      'text/csv',
    );
    direct.destroy();
    proxy = await startS3Proxy(stack.env.AWS_ENDPOINT_URL_S3 as string, (method, path) => {
      if (method === 'GET' && path.startsWith(`/${bucket}/rows/`) && failed < FAILED_GETS) {
        failed += 1;
        return { status: 503, code: 'SlowDown' };
      }
      return 'pass';
    });
  });

  after(async () => {
    for (const close of closers.reverse()) await close();
    for (const c of connections) c.disconnect();
    await proxy.close();
    await stack.close();
  });

  it('fails the attempt naming S3 and the key, retries the job, and trains', async () => {
    const redis = createRedis(REDIS_URL);
    connections.push(redis);
    const blocking = () => {
      const c = createBlockingRedis(REDIS_URL);
      connections.push(c);
      return c;
    };
    const queue = retrainQueue(stack.config, redis);
    const events = new QueueEvents(RETRAIN_QUEUE, {
      connection: blocking(),
      prefix: stack.config.queuePrefix,
    });
    await events.waitUntilReady();
    const s3 = clientThrough(proxy);
    const worker = startWorker({
      config: stack.config,
      s3,
      connection: blocking(),
      publisher: redis,
      queue,
      logger,
    });
    closers.push(
      () => worker.close(),
      () => events.close(),
      async () => {
        await queue.obliterate({ force: true });
        await queue.close();
      },
      async () => s3.destroy(),
    );

    const { id } = await enqueueRetrain(queue, { reason: 'manual' });
    const job = await queue.getJob(id);
    assert.ok(job);
    const result = await job.waitUntilFinished(events, 120_000);
    assert.equal(failed, FAILED_GETS, 'every failure the proxy had in store was met');
    assert.equal(typeof result.version, 'string', JSON.stringify(result));

    const attempt = lines.find((line) => line.attemptFailed === true);
    assert.ok(attempt, 'the first attempt is logged as failed, to be retried');
    assert.match(String(attempt.reason), new RegExp(`^S3: GET s3://${stack.config.buckets.cleaned}/rows/`));
    assert.match(String(attempt.reason), /SlowDown/);
    assert.ok(!lines.some((line) => line.jobFailed === true), 'the job did not fail');
    assert.ok(((await queue.getJob(id))?.attemptsMade ?? 0) >= 2, 'it took a second attempt');
  });
});
