// The local stand-ins keep their data in LOCAL_DATA_DIR, so restarting `npm start` keeps the
// stream, its records and the buckets.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { kinesisClient, s3Client } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { ensureBucket } from '../../lib/s3.js';
import { startKinesisStandIn } from '../../local/kinesisStandIn.js';
import { readStream } from '../../local/readStream.js';
import { S3RVER_CREDENTIALS, startS3StandIn } from '../../local/s3StandIn.js';
import { ensureStream } from '../../local/stream.js';
import { toEntry } from '../../producer/batches.js';
import { putAll } from '../../producer/putRecords.js';
import { bundledBeers } from '../../producer/sources.js';
import { capturingLogger } from '../support/capture.js';

describe('local stand-ins', () => {
  let dir: string;
  after(() => rm(dir, { recursive: true, force: true }));

  it('keep the stream, its records and the buckets across a restart', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'brewstream-persist-'));
    const start = async () => {
      const kinesis = await startKinesisStandIn({ port: 0, dataDir: path.join(dir, 'kinesis') });
      const s3 = await startS3StandIn({ port: 0, dataDir: path.join(dir, 's3') });
      const env = {
        ...S3RVER_CREDENTIALS,
        AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        STREAM_NAME: 'persisted',
      };
      Object.assign(process.env, env);
      const config = loadConfig({ ...process.env, ...env });
      return { kinesis, s3, config, kc: kinesisClient(config), sc: s3Client(config) };
    };

    const first = await start();
    await ensureStream(first.kc, 'persisted', 2);
    await putAll(first.kc, bundledBeers().beers.map(toEntry), {
      streamName: 'persisted',
      maxAttempts: 3,
      baseBackoffMs: 10,
      logger: capturingLogger().logger,
    });
    await ensureBucket(first.sc, 'cleaned');
    await first.sc.send(
      new PutObjectCommand({ Bucket: 'cleaned', Key: 'rows/kept.csv', Body: 'id\r\n1\r\n' }),
    );
    first.kc.destroy();
    first.sc.destroy();
    await Promise.all([first.kinesis.close(), first.s3.close()]);

    const second = await start();
    assert.equal(
      await ensureStream(second.kc, 'persisted', 5),
      2,
      'the existing stream is kept, not recreated',
    );
    const shards = await readStream(second.kc, 'persisted');
    const ids = new Set(shards.flatMap((shard) => [...shard.ids]));
    assert.equal(ids.size, 325);
    const head = await second.sc.send(new HeadObjectCommand({ Bucket: 'cleaned', Key: 'rows/kept.csv' }));
    assert.equal(head.ContentLength, 7);
    second.kc.destroy();
    second.sc.destroy();
    await Promise.all([second.kinesis.close(), second.s3.close()]);
  });
});
