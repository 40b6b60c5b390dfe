// `npm start`: the whole pipeline on one machine. Kinesis and S3 stand-ins on loopback with their
// data kept under LOCAL_DATA_DIR, a Redis (the one at REDIS_URL, or one we start), the stream and
// buckets, then every role as a supervised child process; a banner once the first model is served.
// It stops everything it started on SIGINT, SIGTERM or SIGHUP, or when whatever launched it is gone
// (local/launcherWatch.ts). npm's start script execs this file, so npm's own signal forwarding
// reaches it: under `sh -c` without exec, the shell would swallow the signal.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kinesisClient, s3Client } from '../lib/aws.js';
import { loadConfig } from '../lib/config.js';
import { LOCAL_OUTPUTS_FILE, type LocalOutputs, withoutPassword } from '../lib/localOutputs.js';
import { createLogger } from '../lib/logger.js';
import { ensureBucket } from '../lib/s3.js';
import { announceFirstModel, localBaseUrl } from './banner.js';
import { leaseKey } from './kcl-daemon/lease.js';
import { type StandIn, startKinesisStandIn } from './kinesisStandIn.js';
import { watchLaunchers } from './launcherWatch.js';
import { namespaceDefaults, namespaceId } from './namespace.js';
import { ensureRedis } from './redisServer.js';
import { LOCAL_ROLES, niced } from './roles.js';
import { S3RVER_CREDENTIALS, startS3StandIn } from './s3StandIn.js';
import { ensureStream } from './stream.js';
import { type Supervisor, supervise } from './supervisor.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logger = createLogger('local');
// A first model takes a minute or so (the replay, then training); after this, say where things are anyway.
const NO_MODEL_NOTICE_MS = 120_000;

/** What is running so far; stop() stops it in reverse order, so a stop during startup is safe. */
const running: {
  redis?: ChildProcess;
  kinesis?: StandIn;
  s3?: StandIn;
  supervisor?: Supervisor;
  stopBanner?: () => void;
  stopWatch?: () => void;
  /** The outputs file written once the stack is up. */
  outputs?: string;
} = {};
let stopping = false;
let stopStartedAt = 0;
let startup: Promise<void> = Promise.resolve();

async function run(): Promise<void> {
  running.stopWatch = watchLaunchers((gone) => {
    logger.warn({ pid: gone.pid, parent: gone.parent }, 'the process that launched npm start is gone');
    void stop(0);
  });
  const config = loadConfig();
  const dataDir = path.resolve(config.local.dataDir);
  const namespace = await namespaceId(dataDir);
  running.redis = await ensureRedis(config.redisUrl);
  if (running.redis)
    logger.info({ redisUrl: config.redisUrl }, 'started redis-server (nothing kept on disk)');
  if (stopping) return;

  running.kinesis = await startKinesisStandIn({
    port: config.local.kinesisPort,
    dataDir: path.join(dataDir, 'kinesis'),
  });
  running.s3 = await startS3StandIn({ port: config.local.s3Port, dataDir: path.join(dataDir, 's3') });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...namespaceDefaults(process.env, namespace),
    AWS_ENDPOINT_URL_KINESIS: running.kinesis.endpoint,
    AWS_ENDPOINT_URL_S3: running.s3.endpoint,
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
  if (stopping) return;

  const roles = LOCAL_ROLES.filter((role) => {
    const present = existsSync(path.join(dist, role.module));
    if (!present) logger.info({ role: role.name }, 'role not built yet: skipped');
    return present;
  });
  running.supervisor = supervise(
    roles.map((role) => ({
      name: role.name,
      ...niced(
        process.execPath,
        ['--enable-source-maps', path.join(dist, 'bin', 'brewstream.js'), ...role.args],
        role.niceness,
      ),
      env,
    })),
    (lines) => process.stdout.write(lines),
  );
  const baseUrl = localBaseUrl(config.server.host, config.server.port);
  logger.info(
    {
      kinesis: running.kinesis.endpoint,
      s3: running.s3.endpoint,
      redis: config.redisUrl,
      stream: `${config.streamName} (${shards} shards)`,
      server: baseUrl,
      dataDir,
      namespace,
      queuePrefix: localConfig.queuePrefix,
      kclApplication: localConfig.consumer.applicationName,
      roles: roles.map((role) => role.name),
    },
    'brewstream is up; a banner follows once the first model is served; Ctrl-C stops everything',
  );
  running.outputs = await writeOutputs(dataDir, {
    pid: process.pid,
    apiUrl: baseUrl,
    region: localConfig.aws.region,
    kinesisEndpoint: running.kinesis.endpoint,
    s3Endpoint: running.s3.endpoint,
    standInCredentials: {
      accessKeyId: S3RVER_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: S3RVER_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
    redisUrl: withoutPassword(config.redisUrl),
    streamName: config.streamName,
    cleanedBucket: config.buckets.cleaned,
    modelsBucket: config.buckets.models,
    queuePrefix: localConfig.queuePrefix,
    kclApplication: localConfig.consumer.applicationName,
    consumerLease: leaseKey(localConfig.consumer.applicationName, config.streamName),
  });

  if (roles.some((role) => role.name === 'server')) {
    const { apiKeys, predictRequiresKey } = localConfig.server;
    running.stopBanner = announceFirstModel({
      where: { baseUrl, keys: apiKeys.length > 0, predictNeedsKey: predictRequiresKey && apiKeys.length > 0 },
      apiKey: apiKeys[0],
      startedAt: performance.timeOrigin,
      noticeAfterMs: NO_MODEL_NOTICE_MS,
      pollMs: 1000,
      write: (text) => process.stdout.write(text),
      onServed: (model, sinceStartMs) =>
        logger.info(
          { model, firstPredictionS: Math.round(sinceStartMs / 100) / 10 },
          'first prediction served',
        ),
    });
  }
}

/** Writes the outputs file whole (a reader never sees half of it); returns its path. */
async function writeOutputs(dataDir: string, outputs: LocalOutputs): Promise<string> {
  const file = path.join(dataDir, LOCAL_OUTPUTS_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(outputs, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return file;
}

/** Stops what is running, in reverse order, then exits. */
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  stopStartedAt = Date.now();
  await startup.catch(() => {}); // the startup step in hand finishes; run() starts nothing after it
  running.stopWatch?.();
  running.stopBanner?.();
  // First: from now on the stack is going, and `npm run verify -- --local` should say so.
  if (running.outputs) await rm(running.outputs, { force: true });
  logger.info('stopping roles');
  await running.supervisor?.stop();
  await Promise.all([running.kinesis?.close(), running.s3?.close()]);
  if (running.redis) await stopChild(running.redis, 5000);
  logger.info('stopped');
  process.exit(code);
}

/** SIGTERM, then SIGKILL after the grace period; resolves when the child has exited. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (!stopping) {
      logger.info({ signal }, 'signal received');
      void stop(0);
      return;
    }
    // One Ctrl-C in a terminal is two signals here: the terminal signals npm's whole process group,
    // start.js included, and npm forwards its own. Only a later one means "stop now".
    if (Date.now() - stopStartedAt < 1000) return;
    logger.warn({ signal }, 'second signal: killing the roles now');
    running.supervisor?.kill();
  });
}
startup = run().catch((error) => {
  const err = error as Error & { problems?: string[] };
  logger.fatal(err.problems ? err.message : { err }, 'could not start');
  void stop(1);
});
