// Reads a stream back from the start of every shard: used by `npm run peek` and by tests.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';

export interface ShardContents {
  shardId: string;
  records: number;
  ids: Set<string>;
}

/** Every record of every shard, up to the current tip. */
export async function readStream(kinesis: KinesisClient, streamName: string): Promise<ShardContents[]> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const contents: ShardContents[] = [];
  for (const shard of shards) {
    const shardId = shard.ShardId as string;
    const result: ShardContents = { shardId, records: 0, ids: new Set() };
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) {
        result.records += 1;
        if (record.PartitionKey) result.ids.add(record.PartitionKey);
      }
      if ((page.Records ?? []).length === 0 || page.MillisBehindLatest === 0) break;
      iterator = page.NextShardIterator;
    }
    contents.push(result);
  }
  return contents;
}
