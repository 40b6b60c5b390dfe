// Failure drill: the trainer SIGKILLed mid-training (README "Failure drills"). BullMQ's stalled-job
// check hands the job to the next trainer, which completes it; champion.json is untouched while no
// complete version exists and never names a version whose files are not all there.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import beers from 'punkapi-db' with { type: 'json' };
import { s3Client } from '../../lib/aws.js';
import { type CleanedRow, cleanBeer } from '../../lib/beer.js';
import { encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { registryKeys, type VersionFile } from '../../lib/modelRegistry.js';
import { createRedis } from '../../lib/redis.js';
import { enqueueRetrain, retrainQueue } from '../../lib/retrainQueue.js';
import { getObjectTextIfExists, headMetadata, listObjects, putObject } from '../../lib/s3.js';
import { type DrillStack, startDrillStack } from '../support/drillStack.js';
import { sleep, waitFor } from '../support/wait.js';

const VERSION_FILES: VersionFile[] = [
  'model.json',
  'weights.bin',
  'metadata.json',
  'curves.svg',
  'predicted-vs-actual.svg',
];

describe('drill: the trainer SIGKILLed mid-training', () => {
  let stack: DrillStack;
  let connection: Redis | undefined;
  after(async () => {
    connection?.disconnect();
    await stack?.close();
  });

  it('the job is retried by the next trainer; the champion is untouched and never names a half-written version', {
    timeout: 300_000,
  }, async () => {
    stack = await startDrillStack();
    await Promise.all([stack.redis.start(), stack.s3.start()]);
    await stack.provision(0);
    const s3 = s3Client(stack.config);
    const { cleaned, models } = stack.config.buckets;
    const rows = (beers as unknown[]).flatMap((beer) => {
      const result = cleanBeer(beer);
      return result.ok ? [result.row as CleanedRow] : [];
    });
    await putObject(
      s3,
      cleaned,
      'rows/dt=2026-11-24/shardId-000000000000/1.csv',
      encodeCleanedCsv(rows),
      'text/csv',
      {
        'last-sequence-number': '1',
      },
    );
    connection = createRedis(stack.redis.url);
    const queue = retrainQueue(stack.config, connection);
    const finished = (id: string, timeoutMs: number) =>
      waitFor(
        ({ state }) => `job ${id} to finish (it is still ${state})`,
        async () => {
          const job = await queue.getJob(id);
          return { job, state: await job?.getState() };
        },
        ({ state }) => state === 'completed' || state === 'failed',
        timeoutMs,
      );

    // A first champion, from a short training.
    const first = stack.role(['trainer'], { TRAIN_MAX_EPOCHS: '60', TRAIN_PATIENCE: '10' });
    const seed = await enqueueRetrain(queue, { reason: 'manual' });
    assert.equal((await finished(seed.id, 150_000)).state, 'completed');
    await first.kill('SIGTERM');
    const championBefore = await getObjectTextIfExists(s3, models, registryKeys.champion);
    const versionsBefore = (await listObjects(s3, models, registryKeys.prefix)).map((o) => o.key);

    // From now on, whenever champion.json names a version, every file of that version is there.
    const violations: string[] = [];
    let watching = true;
    stack.onClose(() => {
      watching = false;
    });
    const watcher = (async () => {
      while (watching) {
        const text = await getObjectTextIfExists(s3, models, registryKeys.champion).catch(() => undefined);
        const version = text ? (JSON.parse(text) as { version: string }).version : undefined;
        if (version) {
          for (const file of VERSION_FILES) {
            const key = registryKeys.file(version, file);
            if ((await headMetadata(s3, models, key).catch(() => undefined)) === undefined)
              violations.push(`champion ${version} named without ${file}`);
          }
        }
        await sleep(100);
      }
    })();

    // A long training, killed once it reports progress.
    const doomed = stack.role(['trainer'], { TRAIN_MAX_EPOCHS: '100000', TRAIN_PATIENCE: '100000' });
    const { id } = await enqueueRetrain(queue, { reason: 'manual', force: true });
    await waitFor(
      'the training to report progress',
      async () => ((await queue.getJob(id))?.progress as { epoch?: number } | undefined)?.epoch ?? 0,
      (epoch) => epoch >= 2,
      120_000,
      200,
    );
    await doomed.kill('SIGKILL');
    assert.equal(
      await (await queue.getJob(id))?.getState(),
      'active',
      'the job is left active, its lock held',
    );
    assert.equal(
      await getObjectTextIfExists(s3, models, registryKeys.champion),
      championBefore,
      'champion untouched',
    );
    assert.deepEqual(
      (await listObjects(s3, models, registryKeys.prefix)).map((o) => o.key),
      versionsBefore,
      'the killed training wrote nothing',
    );

    // The next trainer finds the stalled job and completes it.
    stack.role(['trainer'], { TRAIN_MAX_EPOCHS: '20', TRAIN_PATIENCE: '10' });
    const { job, state } = await finished(id, 150_000);
    assert.equal(state, 'completed', job?.failedReason);
    assert.ok((job?.stalledCounter ?? 0) >= 1, 'it was handed on as stalled');
    assert.ok(job);
    const { version, promoted } = job.returnvalue as { version: string; promoted: boolean };
    for (const file of VERSION_FILES)
      assert.ok(await headMetadata(s3, models, registryKeys.file(version, file)), `${version}/${file}`);
    const championAfter = await getObjectTextIfExists(s3, models, registryKeys.champion);
    const named = championAfter ? (JSON.parse(championAfter) as { version: string }).version : undefined;
    assert.equal(named, promoted ? version : JSON.parse(championBefore ?? '{}').version);
    watching = false;
    await watcher;
    assert.deepEqual(violations, []);
    await queue.close();
    s3.destroy();
  });
});
