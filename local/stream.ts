import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';

/** Creates the stream with the given shard count unless it exists (then it is kept as it is). */
export async function ensureStream(
  kinesis: KinesisClient,
  streamName: string,
  shardCount: number,
): Promise<number> {
  try {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    return summary.StreamDescriptionSummary?.OpenShardCount ?? shardCount;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  for (let i = 0; i < 100; i += 1) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return shardCount;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}
