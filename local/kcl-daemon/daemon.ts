// The local MultiLang daemon: what Amazon's MultiLangDaemon does on AWS, for one machine. It holds
// the application's lease, discovers shards (again every KCL_SHARD_SYNC_MS, so a split's children
// are found), runs one processor per ready shard, keeps checkpoints in Redis, and on stop asks each
// processor to shut down (flush and checkpoint) before it exits. A failure no retry can fix (a shard
// runner's: Kinesis refusing access, a processor that cannot start; or shard discovery's) stops
// the daemon, and `done` rejects with it.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import type { Redis } from 'ioredis';
import { isRetryable } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { checkpointStore, SHARD_END } from './checkpointStore.js';
import { acquireLease, leaseKey } from './lease.js';
import { readyShards, type ShardInfo } from './lineage.js';
import { runShard, type ShardRunner } from './shardRunner.js';

export interface DaemonOptions {
  kinesis: KinesisClient;
  redis: Redis;
  applicationName: string;
  streamName: string;
  command: string[];
  env: NodeJS.ProcessEnv;
  pollIntervalMs: number;
  maxRecords: number;
  leaseTtlMs: number;
  shardSyncMs: number;
  logger: Logger;
}

export interface Daemon {
  stop(): Promise<void>;
  /** Resolves when the daemon stops on its own (lease lost) or after stop(); rejects when it failed. */
  done: Promise<void>;
  runners(): Map<string, ShardRunner>;
}

async function listShards(kinesis: KinesisClient, streamName: string): Promise<ShardInfo[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await kinesis.send(
      token ? new ListShardsCommand({ NextToken: token }) : new ListShardsCommand({ StreamName: streamName }),
    );
    shards.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token);
  return shards.map((shard) => ({
    shardId: shard.ShardId as string,
    parents: [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => Boolean(id)),
  }));
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger } = options;
  const owner = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  let stopping = false;
  let failure: unknown;
  let finish: () => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const runners = new Map<string, ShardRunner>();
  const finished = new Set<string>();
  const store = checkpointStore(options.redis, options.applicationName, options.streamName);
  let syncTimer: NodeJS.Timeout | undefined;

  const stop = async () => {
    if (stopping) return done.catch(() => {});
    stopping = true;
    clearTimeout(syncTimer);
    await Promise.all([...runners.values()].map((runner) => runner.stop()));
    await lease.release().catch(() => {});
    logger.info('daemon stopped');
    if (failure === undefined) finish();
    else fail(failure);
  };
  /** Stops the daemon because of an error no retry can fix; `done` rejects with it. */
  const failWith = (error: unknown, what: string) => {
    logger.error({ err: error }, `${what}: stopping the daemon`);
    failure ??= error;
    void stop();
  };

  let redisWarned = false;
  const lease = await acquireLease(
    options.redis,
    leaseKey(options.applicationName, options.streamName),
    owner,
    options.leaseTtlMs,
    () => {
      logger.error('lease lost to another daemon: stopping');
      void stop();
    },
    {
      onWait: (error) => {
        if (!redisWarned) logger.warn({ err: error }, 'Redis unavailable: waiting for it to take the lease');
        redisWarned = true;
      },
    },
  );
  logger.info({ owner, application: options.applicationName, stream: options.streamName }, 'lease acquired');

  const sync = async () => {
    if (stopping) return;
    try {
      const shards = await listShards(options.kinesis, options.streamName);
      for (const shard of shards) {
        if (!finished.has(shard.shardId) && (await store.get(shard.shardId)) === SHARD_END)
          finished.add(shard.shardId);
      }
      for (const shardId of readyShards(shards, finished, new Set(runners.keys()))) {
        if (stopping) break;
        const runner = runShard(
          {
            kinesis: options.kinesis,
            store,
            streamName: options.streamName,
            command: options.command,
            env: options.env,
            pollIntervalMs: options.pollIntervalMs,
            maxRecords: options.maxRecords,
            logger,
          },
          shardId,
        );
        runners.set(shardId, runner);
        runner.done.then(
          (result) => {
            runners.delete(shardId);
            if (result === 'ended') {
              finished.add(shardId);
              void sync(); // its children may start now
            }
          },
          (error) => {
            runners.delete(shardId);
            failWith(error, `shard ${shardId} failed`);
          },
        );
      }
    } catch (error) {
      if (!isRetryable(error)) return failWith(error, 'shard discovery failed');
      logger.warn({ err: error }, 'shard discovery failed; will retry');
    }
    if (!stopping) {
      clearTimeout(syncTimer);
      syncTimer = setTimeout(sync, options.shardSyncMs);
    }
  };
  await sync();

  return { stop, done, runners: () => runners };
}
