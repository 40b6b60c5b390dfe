// The retrain cadence under a steady stream of new batches (issue 25), on real Redis and BullMQ:
// the cleaned consumer's trigger announces a batch every 150 ms, the real retrain worker trains on
// the Punk API beers in the S3 stand-in, and new-data retrains start at least
// RETRAIN_MIN_INTERVAL_S apart, never back to back. A forced retrain asked for while a new-data
// one is deferred runs at once (it joins the deferred job and promotes it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Job, QueueEvents } from 'bullmq';
import beers from 'punkapi-db' with { type: 'json' };
import { retrainTrigger } from '../../consumers/cleaned/retrainTrigger.js';
import { s3Client } from '../../lib/aws.js';
import { cleanBeer } from '../../lib/beer.js';
import { encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { createBlockingRedis, createRedis, RETRAIN_QUEUE, type RetrainJobData } from '../../lib/redis.js';
import {
  enqueueRetrain,
  lastRetrainStart,
  markRetrainStarted,
  RETRAIN_DEDUP_ID,
  releaseRetrainDedup,
  retrainQueue,
} from '../../lib/retrainQueue.js';
import { putObject } from '../../lib/s3.js';
import { startWorker } from '../../trainer/worker.js';
import { capturingLogger } from '../support/capture.js';
import { utcDay } from '../support/clock.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const INTERVAL_S = 4;
const rows = beers.flatMap((beer) => {
  const result = cleanBeer(beer);
  return result.ok ? [result.row] : [];
});

describe('retrain cadence', () => {
  let stack: TestStack;
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  // For QueueEvents and the worker, which block on their connections.
  const eventsConnection = createBlockingRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const workerConnection = createBlockingRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  let worker: ReturnType<typeof startWorker>;
  let events: QueueEvents;
  let queue: ReturnType<typeof retrainQueue>;
  let trigger: ReturnType<typeof retrainTrigger>;
  let stream: NodeJS.Timeout | undefined;

  before(async () => {
    stack = await startTestStack({
      stream: false,
      env: { RETRAIN_MIN_INTERVAL_S: String(INTERVAL_S), TRAIN_MAX_EPOCHS: '5', TRAIN_PATIENCE: '2' },
    });
    const s3 = s3Client(stack.config);
    await putObject(
      s3,
      stack.config.buckets.cleaned,
      `rows/dt=${utcDay(0)}/shardId-000000000000/1-325.csv`,
      encodeCleanedCsv(rows),
      'text/csv',
    );
    queue = retrainQueue(stack.config, redis);
    events = new QueueEvents(RETRAIN_QUEUE, {
      connection: eventsConnection,
      prefix: stack.config.queuePrefix,
    });
    await events.waitUntilReady();
    const { logger } = capturingLogger();
    worker = startWorker({
      config: stack.config,
      s3,
      connection: workerConnection,
      publisher: redis,
      queue,
      logger,
    });
    trigger = retrainTrigger(stack.config, logger, 100);
  });

  after(async () => {
    clearInterval(stream);
    await trigger.close();
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
    eventsConnection.disconnect();
    workerConnection.disconnect();
    await stack.close();
  });

  const started = async () =>
    (await queue.getJobs(['completed', 'failed', 'active']))
      .filter((job): job is Job<RetrainJobData> & { processedOn: number } => job.processedOn !== undefined)
      .sort((a, b) => a.processedOn - b.processedOn);

  it(`under a batch every 150 ms, new-data retrains start at least ${INTERVAL_S} s apart; a forced one runs at once`, async () => {
    let batches = 0;
    stream = setInterval(() => {
      batches += 1;
      trigger.newRows(10);
    }, 150);

    // Three retrains or more: the first on the table, then ones that find nothing new.
    const first = await waitFor('three new-data retrains', started, (jobs) => jobs.length >= 3, 180_000);
    const gaps = first
      .slice(1)
      .map((job, i) => job.processedOn - (first[i] as { processedOn: number }).processedOn);
    for (const gap of gaps) assert.ok(gap >= INTERVAL_S * 1000, `retrains ${gaps.join(', ')} ms apart`);
    assert.ok(batches > 3 * first.length, `${batches} batches announced, ${first.length} retrains`);
    for (const job of first) assert.equal(job.data.reason, 'new-data');

    // A deferred new-data retrain waits, and says why and until when. Taken while the worker is
    // idle with over 1.5 s of the wait left, so "at once" is told from "when the cadence allows".
    const { deferred, wouldRunAt } = await waitFor(
      'a deferred new-data retrain, the worker idle',
      async () => {
        const [job] = await queue.getDelayed();
        const last = await lastRetrainStart(redis, queue);
        const idle = (await queue.getActiveCount()) === 0;
        const wouldRunAt = (last ?? 0) + INTERVAL_S * 1000;
        return idle && job && wouldRunAt - Date.now() > 1500 ? { deferred: job, wouldRunAt } : undefined;
      },
      (found) => found !== undefined,
      60_000,
      50,
    );
    assert.match(deferred.data.deferred ?? '', /^deferred: new data retrains at most once every 4 s/);

    const asked = await enqueueRetrain(queue, { reason: 'manual', force: true });
    assert.deepEqual(asked, { id: deferred.id, created: false }, 'it joins the deferred retrain');
    const job = await queue.getJob(asked.id);
    assert.ok(job);
    const result = await job.waitUntilFinished(events, 120_000);
    const done = await queue.getJob(asked.id);
    assert.ok(done?.processedOn !== undefined);
    assert.ok(
      done.processedOn < wouldRunAt,
      `the forced retrain started at ${done.processedOn}, before the cadence's ${wouldRunAt}`,
    );
    assert.equal(done.data.force, true);
    assert.equal(done.data.deferred, undefined, 'no longer deferred');
    assert.equal(typeof result.version, 'string', 'forced: it trained on the unchanged table');

    // And the stream's next retrain (the stream ran on while it trained) waits again, counted
    // from the forced one's start.
    const forcedAt = done.processedOn;
    const next = await waitFor(
      'the new-data retrain after the forced one',
      async () => (await started()).find((j) => j.processedOn > forcedAt),
      (j) => j !== undefined,
      120_000,
    );
    clearInterval(stream);
    assert.equal(next.data.reason, 'new-data');
    assert.ok(
      next.processedOn - forcedAt >= INTERVAL_S * 1000,
      `the next retrain started ${next.processedOn - forcedAt} ms after the forced one`,
    );
  });

  it('a new-data job that reaches the worker too soon after a start waits there for the cadence', async () => {
    clearInterval(stream);
    await waitFor(
      'an idle queue',
      async () => (await queue.getActiveCount()) + (await queue.getWaitingCount()),
      (n) => n === 0,
      120_000,
    );
    await queue.drain(true);
    await releaseRetrainDedup(queue);
    // What a request racing a job's start can leave: a start just recorded, and a new-data job
    // added with no delay.
    const startedAt = Date.now();
    await markRetrainStarted(redis, queue, startedAt);
    const added = await queue.add(
      'retrain',
      { reason: 'new-data', rows: 1 },
      { deduplication: { id: RETRAIN_DEDUP_ID } },
    );
    await added.waitUntilFinished(events, 60_000);
    const done = await queue.getJob(added.id as string);
    assert.ok(done?.processedOn !== undefined);
    assert.ok(
      done.processedOn >= startedAt + INTERVAL_S * 1000,
      `it started ${done.processedOn - startedAt} ms after the recorded start`,
    );
    assert.match(done.data.deferred ?? '', /^deferred: new data retrains at most once every 4 s/);
  });
});
