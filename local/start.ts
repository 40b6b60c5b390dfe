// `npm start`: the whole pipeline on one machine. Kinesis and S3 stand-ins on loopback with their
// data kept under LOCAL_DATA_DIR, a Redis (the one at REDIS_URL, or one we start), the stream and
// buckets, then every role as a supervised child process. Ctrl-C or SIGTERM stops it all.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kinesisClient, s3Client } from '../lib/aws.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { ensureBucket } from '../lib/s3.js';
import { startKinesisStandIn } from './kinesisStandIn.js';
import { ensureRedis } from './redisServer.js';
import { LOCAL_ROLES } from './roles.js';
import { startS3StandIn } from './s3StandIn.js';
import { ensureStream } from './stream.js';
import { supervise } from './supervisor.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logger = createLogger('local');

async function run(): Promise<void> {
  const config = loadConfig();
  const dataDir = path.resolve(config.local.dataDir);
  const redis = await ensureRedis(config.redisUrl);
  if (redis) logger.info({ redisUrl: config.redisUrl }, 'started redis-server (nothing kept on disk)');

  const kinesis = await startKinesisStandIn({
    port: config.local.kinesisPort,
    dataDir: path.join(dataDir, 'kinesis'),
  });
  const s3 = await startS3StandIn({ port: config.local.s3Port, dataDir: path.join(dataDir, 's3') });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    AWS_REGION: config.aws.region,
    REDIS_URL: config.redisUrl,
  };
  // This process talks to the stand-ins too (stream, buckets); the SDK reads the environment.
  Object.assign(process.env, env);
  const localConfig = loadConfig(env);
  const kc = kinesisClient(localConfig);
  const shards = await ensureStream(kc, config.streamName, config.local.shardCount);
  kc.destroy();
  const sc = s3Client(localConfig);
  for (const bucket of Object.values(config.buckets)) await ensureBucket(sc, bucket);
  sc.destroy();

  const roles = LOCAL_ROLES.filter((role) => {
    const present = existsSync(path.join(dist, role.module));
    if (!present) logger.info({ role: role.name }, 'role not built yet: skipped');
    return present;
  });
  const supervisor = supervise(
    roles.map((role) => ({
      name: role.name,
      command: process.execPath,
      args: ['--enable-source-maps', path.join(dist, 'bin', 'brewstream.js'), ...role.args],
      env,
    })),
    (line) => process.stdout.write(`${line}\n`),
  );
  logger.info(
    {
      kinesis: kinesis.endpoint,
      s3: s3.endpoint,
      redis: config.redisUrl,
      stream: `${config.streamName} (${shards} shards)`,
      server: `http://${config.server.host}:${config.server.port}`,
      dataDir,
      roles: roles.map((role) => role.name),
    },
    'brewstream is up; Ctrl-C stops everything',
  );

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping roles');
    await supervisor.stop();
    await Promise.all([kinesis.close(), s3.close()]);
    redis?.kill('SIGTERM');
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

run().catch((error) => {
  const err = error as Error & { problems?: string[] };
  logger.fatal(err.problems ? err.message : { err }, 'could not start');
  process.exit(1);
});
