// The local daemon's checkpoints, in Redis: one key per shard holding the sequence number of the
// last record the processor checkpointed, or SHARD_END once a closed shard is fully processed.
// Keys: kcl:<applicationName>:<streamName>:checkpoint:<shardId>
import type { Redis } from 'ioredis';

export const SHARD_END = 'SHARD_END';

export interface CheckpointStore {
  get(shardId: string): Promise<string | undefined>;
  set(shardId: string, checkpoint: string): Promise<void>;
}

export const checkpointKey = (application: string, stream: string, shardId: string) =>
  `kcl:${application}:${stream}:checkpoint:${shardId}`;

export function checkpointStore(redis: Redis, application: string, stream: string): CheckpointStore {
  return {
    get: async (shardId) => (await redis.get(checkpointKey(application, stream, shardId))) ?? undefined,
    set: async (shardId, checkpoint) => {
      await redis.set(checkpointKey(application, stream, shardId), checkpoint);
    },
  };
}
