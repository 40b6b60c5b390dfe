// Starts what a test needs on loopback: a Kinesis stand-in and an S3 stand-in on free ports,
// with fresh names for the stream, buckets, queue prefix and KCL application, so test files can
// run side by side against the one real Redis.
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import { kinesisClient, s3Client } from '../../lib/aws.js';
import { type Config, loadConfig } from '../../lib/config.js';
import { ensureBucket } from '../../lib/s3.js';
import { startKinesisStandIn } from '../../local/kinesisStandIn.js';
import { S3RVER_CREDENTIALS, startS3StandIn } from '../../local/s3StandIn.js';
import { ensureStream } from '../../local/stream.js';

export interface TestStack {
  config: Config;
  /** The environment a child process needs to reach the same stand-ins and names. */
  env: Record<string, string>;
  /** Deletes this stack's keys in the shared Redis: KCL checkpoints and lease, and the queue's. */
  clearRedis(redis: Redis): Promise<void>;
  close(): Promise<void>;
}

export interface TestStackOptions {
  shards?: number;
  /** Extra variables, e.g. BATCH_MAX_AGE_MS, merged into the env and the config. */
  env?: Record<string, string>;
  /** Create the stream (default true). */
  stream?: boolean;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const kinesis = await startKinesisStandIn({ port: 0 });
  const s3 = await startS3StandIn({ port: 0 });
  const id = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    ...S3RVER_CREDENTIALS,
    AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    STREAM_NAME: `beers-${id}`,
    RAW_BUCKET: `raw-${id}`,
    CLEANED_BUCKET: `cleaned-${id}`,
    MODELS_BUCKET: `models-${id}`,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `test-${id}`,
    KCL_APPLICATION_NAME: `test-${id}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // New data retrains at once here, as these tests expect; the cadence has its own test.
    RETRAIN_MIN_INTERVAL_S: '0',
    ...options.env,
  };
  // The SDK reads endpoints and credentials from the process environment.
  Object.assign(process.env, env);
  const config = loadConfig({ ...process.env, ...env });

  const s3c = s3Client(config);
  for (const bucket of Object.values(config.buckets)) await ensureBucket(s3c, bucket);
  s3c.destroy();

  if (options.stream !== false) {
    const kc = kinesisClient(config);
    await ensureStream(kc, config.streamName, options.shards ?? 2);
    kc.destroy();
  }

  return {
    config,
    env,
    clearRedis: async (redis) => {
      const keys = [
        ...(await redis.keys(`kcl:${config.consumer.applicationName}:*`)),
        ...(await redis.keys(`${config.queuePrefix}:*`)),
      ];
      if (keys.length > 0) await redis.del(...keys);
    },
    close: async () => {
      await Promise.all([kinesis.close(), s3.close()]);
    },
  };
}

export interface S3StandInFixture {
  stack: TestStack;
  s3: S3Client;
  /** The cleaned bucket. */
  bucket: string;
}

/**
 * For a describe block that needs only S3: stand-ins started before its tests and closed after.
 * The fields are set by the time the first test runs.
 */
export function useS3StandIn(): S3StandInFixture {
  const fixture = {} as S3StandInFixture;
  before(async () => {
    fixture.stack = await startTestStack({ stream: false });
    fixture.s3 = s3Client(fixture.stack.config);
    fixture.bucket = fixture.stack.config.buckets.cleaned;
  });
  after(async () => {
    fixture.s3?.destroy();
    await fixture.stack?.close();
  });
  return fixture;
}
