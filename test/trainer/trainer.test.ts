// The retrain worker on real Redis (BullMQ) and the S3 stand-in, trained on the Punk API data.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueueEvents } from 'bullmq';
import beers from 'punkapi-db' with { type: 'json' };
import { s3Client } from '../../lib/aws.js';
import { type CleanedRow, cleanBeer } from '../../lib/beer.js';
import { encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { loadConfig } from '../../lib/config.js';
import { DataError, NotEnoughDataError } from '../../lib/errors.js';
import { modelRegistry } from '../../lib/modelRegistry.js';
import { createBlockingRedis, createRedis, MODEL_PROMOTED_CHANNEL, RETRAIN_QUEUE } from '../../lib/redis.js';
import { enqueueRetrain, retrainQueue } from '../../lib/retrainQueue.js';
import { listObjects, putObject } from '../../lib/s3.js';
import { loadTf } from '../../lib/tfjs.js';
import { buildDataset } from '../../trainer/dataset.js';
import { splitOf } from '../../trainer/split.js';
import { runTraining } from '../../trainer/train.js';
import { startWorker } from '../../trainer/worker.js';
import { publishModel, tinyModel } from '../server/models.js';
import { capturingLogger } from '../support/capture.js';
import { utcDay } from '../support/clock.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const rows: CleanedRow[] = (beers as unknown[]).map((beer) => {
  const result = cleanBeer(beer);
  assert.ok(result.ok);
  return result.row;
});

describe('trainer', () => {
  let stack: TestStack;
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const subscriber = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const published: string[] = [];
  let worker: ReturnType<typeof startWorker>;
  let events: QueueEvents;
  let queue: ReturnType<typeof retrainQueue>;
  const extra: ReturnType<typeof createRedis>[] = [];
  // For the worker and QueueEvents, which block on their connections.
  const connection = () => {
    const c = createBlockingRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    extra.push(c);
    return c;
  };
  const { logger, lines } = capturingLogger();

  const runJob = async (force = false) => {
    const { id } = await enqueueRetrain(queue, force ? { reason: 'manual', force } : { reason: 'manual' });
    const job = await queue.getJob(id);
    assert.ok(job);
    try {
      return { result: await job.waitUntilFinished(events, 120_000), job: await queue.getJob(id) };
    } catch (error) {
      return { error: error as Error, job: await queue.getJob(id) };
    }
  };

  before(async () => {
    stack = await startTestStack({ stream: false, env: { TRAIN_MAX_EPOCHS: '60', TRAIN_PATIENCE: '10' } });
    const s3 = s3Client(stack.config);
    await putObject(
      s3,
      stack.config.buckets.cleaned,
      `rows/dt=${utcDay(-1)}/shardId-000000000000/1-160.csv`,
      encodeCleanedCsv(rows.slice(0, 160)),
      'text/csv',
    );
    await putObject(
      s3,
      stack.config.buckets.cleaned,
      `rows/dt=${utcDay(0)}/shardId-000000000001/1-165.csv`,
      encodeCleanedCsv(rows.slice(160)),
      'text/csv',
    );
    await subscriber.subscribe(MODEL_PROMOTED_CHANNEL);
    subscriber.on('message', (_channel, message) => published.push(message));
    queue = retrainQueue(stack.config, redis);
    events = new QueueEvents(RETRAIN_QUEUE, { connection: connection(), prefix: stack.config.queuePrefix });
    await events.waitUntilReady();
    worker = startWorker({
      config: stack.config,
      s3,
      connection: connection(),
      publisher: redis,
      queue,
      logger,
    });
  });

  after(async () => {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    subscriber.disconnect();
    redis.disconnect();
    for (const c of extra) c.disconnect();
    await stack.close();
  });

  it('a retrain job registers a model with every metadata field and promotes it as the first champion', async () => {
    const { result, job } = await runJob();
    assert.equal(result.promoted, true, result.reason);
    assert.match(result.reason, /promoted: no champion yet/);
    const s3 = s3Client(stack.config);
    const bucket = stack.config.buckets.models;
    assert.deepEqual(
      await modelRegistry(s3, bucket)
        .champion()
        .then((c) => c?.version),
      result.version,
    );
    const meta = await modelRegistry(s3, bucket).metadata(result.version);
    assert.ok(meta);
    for (const field of [
      'version',
      'createdAt',
      'dataset',
      'features',
      'preprocessing',
      'metrics',
      'history',
      'parameters',
      'backend',
      'trainingSeconds',
      'promoted',
      'reason',
    ]) {
      assert.ok(field in meta, `metadata.${field}`);
    }
    assert.equal(meta.dataset.rows, 325);
    // Lineage: the trainer compacted both objects into snapshot 1 before training on it.
    assert.equal(meta.dataset.objectKeys, undefined);
    assert.equal(meta.dataset.snapshot, 1);
    assert.equal(meta.dataset.snapshotObjects, 2);
    assert.equal(meta.dataset.objectsAfter, 0);
    const snapshotKeys = (await listObjects(s3, stack.config.buckets.cleaned, 'snapshots/')).map(
      (o) => o.key,
    );
    assert.ok(snapshotKeys.includes('snapshots/0000000001/manifest.json'), snapshotKeys.join(', '));
    assert.match(meta.dataset.contentHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(meta.features, ['abv', 'og_points', 'attenuation', 'abv_per_og_point', 'ebc', 'ph']);
    assert.equal(meta.preprocessing.recipe, 2);
    // The two beers whose IBU is their OG are left out, and counted.
    assert.equal(meta.dataset.excludedRows, 2);
    const baselines = meta.metrics.baselines ?? {};
    assert.deepEqual(Object.keys(baselines).sort(), ['linear', 'median', 'physics']);
    for (const set of [meta.metrics.model, meta.metrics.baseline, ...Object.values(baselines)]) {
      for (const k of ['mae', 'mse', 'rmse', 'r2'] as const) assert.ok(Number.isFinite(set[k]), k);
    }
    // The decision's numbers: the candidate beat the best baseline, and there was no champion.
    const numbers = meta.promotion;
    assert.ok(numbers?.bestBaseline && numbers.candidateMae !== null);
    assert.equal(numbers.candidateMae, meta.metrics.model.mae);
    assert.ok(numbers.candidateMae < numbers.bestBaseline.mae);
    assert.equal(numbers.bestBaseline.mae, Math.min(...Object.values(baselines).map((b) => b.mae as number)));
    assert.equal(numbers.champion, null);
    assert.equal(numbers.testRows, meta.dataset.testRows);
    assert.deepEqual(result.promotion, numbers);
    assert.ok(meta.history.length > 0 && 'val_loss' in (meta.history[0] as object));
    // The test split as the operators' page plots it: one point per test row, and an interval
    // around the MAE those points give (computed here from the points, not read from the metadata).
    const evaluation = meta.evaluation;
    assert.ok(evaluation);
    assert.equal(evaluation.test.actual.length, meta.dataset.testRows);
    assert.equal(evaluation.test.predicted.length, meta.dataset.testRows);
    const pointsMae =
      evaluation.test.actual.reduce(
        (sum, a, i) => sum + Math.abs(a - (evaluation.test.predicted[i] as number)),
        0,
      ) / meta.dataset.testRows;
    assert.ok(Math.abs(pointsMae - (meta.metrics.model.mae as number)) < 0.01, `${pointsMae}`);
    assert.ok(evaluation.maeCi95, 'an interval');
    assert.ok(
      evaluation.maeCi95[0] <= pointsMae && pointsMae <= evaluation.maeCi95[1],
      `${evaluation.maeCi95}`,
    );
    assert.ok(['wasm', 'cpu', 'tensorflow'].includes(meta.backend));
    const files = (await listObjects(s3, bucket, `models/ibu/${result.version}/`)).map((o) =>
      o.key.split('/').pop(),
    );
    assert.deepEqual(files.sort(), [
      'curves.svg',
      'metadata.json',
      'model.json',
      'predicted-vs-actual.svg',
      'weights.bin',
    ]);
    // Other test files share the channel, so look for ours among what was heard.
    assert.ok(published.map((m) => JSON.parse(m).version).includes(result.version), 'promotion published');
    assert.ok((job?.progress as { done?: boolean } | undefined)?.done, 'progress was reported');

    // The artifacts load back through the S3 IO handler and predict.
    const { tf } = await loadTf();
    const model = await modelRegistry(s3, bucket)
      .loadVersion(tf, result.version)
      .then((v) => v.model);
    assert.deepEqual(model.outputs[0]?.shape, [null, 1]);
    model.dispose();
  });

  it('a second job on the same data ends at once as skipped, registering nothing', async () => {
    const s3 = s3Client(stack.config);
    const { result, job } = await runJob();
    assert.deepEqual(
      { skipped: result.skipped, reason: result.reason, rows: result.rows },
      { skipped: true, reason: 'skipped: no new data', rows: 325 },
    );
    assert.equal(job?.returnvalue?.reason, 'skipped: no new data');
    assert.equal((await modelRegistry(s3, stack.config.buckets.models).list()).length, 1);
  });

  it('a forced job on the same data trains, and does not promote a model that is not better', async () => {
    const s3 = s3Client(stack.config);
    const champion = await modelRegistry(s3, stack.config.buckets.models).champion();
    const { result } = await runJob(true);
    assert.equal(result.promoted, false);
    assert.match(result.reason, /does not beat champion/);
    assert.equal(
      (await modelRegistry(s3, stack.config.buckets.models).champion())?.version,
      champion?.version,
    );
    const meta = await modelRegistry(s3, stack.config.buckets.models).metadata(result.version);
    assert.equal(meta?.promoted, false);
    assert.equal(meta?.metrics.champion?.version, champion?.version);
    assert.equal((await modelRegistry(s3, stack.config.buckets.models).list()).length, 2);
  });

  it('scores a champion trained with the old preprocessing (recipe 1) with its own, and records the comparison', async () => {
    const s3 = s3Client(stack.config);
    const bucket = stack.config.buckets.models;
    const { tf } = await loadTf();
    const old = tinyModel(tf, 3);
    const oldVersion = await publishModel(s3, bucket, old);
    old.dispose();
    assert.equal((await modelRegistry(s3, bucket).metadata(oldVersion))?.preprocessing.recipe, undefined);
    const { result } = await runJob(true);
    assert.equal(result.metrics.champion?.version, oldVersion);
    assert.ok(Number.isFinite(result.metrics.champion?.mae));
    const numbers = result.promotion.champion;
    assert.equal(numbers?.version, oldVersion);
    assert.equal(numbers?.mae, result.metrics.champion?.mae);
    assert.ok(Array.isArray(numbers?.diffCi95) && numbers.diffCi95[0] <= numbers.diffCi95[1]);
    // Promoted exactly when the interval of (candidate − champion) MAE lies below zero.
    assert.equal(result.promoted, (numbers?.diffCi95?.[1] ?? 0) < 0, result.reason);
  });

  it('a champion whose metadata cannot be read fails the job with a clear reason, not a skipped comparison', async () => {
    const s3 = s3Client(stack.config);
    const bucket = stack.config.buckets.models;
    const champion = await modelRegistry(s3, bucket).champion();
    assert.ok(champion);
    const missing = '20260101T000000000Z-0000ff';
    await modelRegistry(s3, bucket).promote(missing);
    const gone = await runJob(true);
    assert.ok(gone.error);
    assert.match(
      gone.error.message,
      new RegExp(
        `champion ${missing} cannot be compared \\(s3://[^/]+/models/ibu/${missing}/metadata.json: missing`,
      ),
    );
    assert.equal(gone.job?.attemptsMade, 1, 'not retried');
    assert.equal((await modelRegistry(s3, bucket).champion())?.version, missing, 'champion.json untouched');

    await putObject(s3, bucket, `models/ibu/${missing}/metadata.json`, '{"version": ', 'application/json');
    const broken = await runJob(true);
    assert.ok(broken.error);
    assert.match(
      broken.error.message,
      new RegExp(
        `champion ${missing} cannot be compared \\(s3://[^/]+/models/ibu/${missing}/metadata.json: not JSON`,
      ),
    );
    assert.equal((await modelRegistry(s3, bucket).champion())?.version, missing);
    await modelRegistry(s3, bucket).promote(champion.version);
  });

  it('a corrupt object fails the job with a clear reason, once, and leaves the champion alone', async () => {
    const s3 = s3Client(stack.config);
    const champion = await modelRegistry(s3, stack.config.buckets.models).champion();
    // Today's partition: one the loader reads on top of the snapshot the first job compacted.
    const key = `rows/dt=${utcDay(0)}/shardId-000000000001/200-201.csv`;
    await putObject(
      s3,
      stack.config.buckets.cleaned,
      key,
      'id,name,abv,ibu,target_fg,target_og,ebc,srm,ph\r\n9,x,strong,,,,,,\r\n',
      'text/csv',
    );
    const { error, job } = await runJob();
    assert.ok(error);
    assert.match(
      error.message,
      new RegExp(`${key}: line 2: abv: expected a finite number or null, got "strong"`),
    );
    assert.equal(job?.attemptsMade, 1, 'not retried');
    assert.equal(
      (await modelRegistry(s3, stack.config.buckets.models).champion())?.version,
      champion?.version,
    );
    assert.ok(lines.some((line) => line.jobFailed === true));
  });

  it('an empty table is a clear data error', async () => {
    const empty = await startTestStack({ stream: false });
    const config = loadConfig({ ...process.env, ...empty.env });
    // Not enough data yet: what a fresh deployment meets, logged by the worker as notEnoughData.
    await assert.rejects(runTraining({ config, s3: s3Client(config), logger }), (error: Error) => {
      assert.ok(error instanceof NotEnoughDataError);
      assert.match(error.message, /the cleaned table is empty/);
      return true;
    });
    await empty.close();
    Object.assign(process.env, stack.env);
  });
});

describe('dataset', () => {
  it('keeps every beer in the same split when rows are added, so the test set only grows', () => {
    const before = new Map(rows.map((row) => [row.id, splitOf(row)]));
    const more = [
      ...rows,
      ...Array.from({ length: 500 }, (_, i) => ({ ...rows[i % rows.length], id: 100_000 + i }) as CleanedRow),
    ];
    for (const row of more.slice(0, rows.length)) assert.equal(splitOf(row), before.get(row.id));
    const a = buildDataset(rows);
    const b = buildDataset(more);
    const testA = new Set(a.test.rows.map((r) => r.id));
    const testB = new Set(b.test.rows.map((r) => r.id));
    assert.ok([...testA].every((id) => testB.has(id)));
    assert.ok(testB.size > testA.size);
    const share = a.test.rows.length / rows.filter((r) => r.ibu !== null).length;
    assert.ok(share > 0.12 && share < 0.28, `test share ${share}`);
  });

  it('leaves the rows whose IBU is their OG out of every split, and counts them', () => {
    const data = buildDataset(rows);
    assert.equal(data.excluded, 2);
    const kept = [...data.train.rows, ...data.validation.rows, ...data.test.rows];
    assert.equal(kept.length, rows.filter((r) => r.ibu !== null).length - 2);
    assert.ok(kept.every((r) => r.ibu !== r.target_og));
  });

  it('names the problem with too few rows or an all-null feature', () => {
    assert.throws(() => buildDataset([]), DataError);
    assert.throws(() => buildDataset(rows.slice(0, 10)), /too few rows to split: \d+ in \w+ \(needs \d+/);
    assert.throws(() => buildDataset(rows.map((r) => ({ ...r, ibu: null }))), /no row has an ibu value/);
    assert.throws(
      () => buildDataset(rows.map((r) => ({ ...r, ph: null }))),
      /feature ph has no values in the training split/,
    );
  });
});
