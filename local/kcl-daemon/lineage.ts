// Which shards may be processed now: a shard whose parents (after a split or merge) are still in
// the stream waits until they are finished, so records of one partition key stay in order.
export interface ShardInfo {
  shardId: string;
  parents: string[];
}

export function readyShards(
  shards: ShardInfo[],
  finished: ReadonlySet<string>,
  running: ReadonlySet<string>,
): string[] {
  const present = new Set(shards.map((shard) => shard.shardId));
  return shards
    .filter((shard) => !finished.has(shard.shardId) && !running.has(shard.shardId))
    .filter((shard) => shard.parents.every((parent) => !present.has(parent) || finished.has(parent)))
    .map((shard) => shard.shardId);
}
