// The fetch manager for one shard: keeps a shard iterator, reads pages of records, renews an
// expired iterator after the last record handed out, and backs off when throttled.
import {
  type _Record,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';

export interface Page {
  records: _Record[];
  millisBehindLatest: number | undefined;
  /** True when the shard is closed and every record has been read. */
  ended: boolean;
}

const THROTTLED = [
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
];

export interface ShardFetcher {
  next(): Promise<Page>;
}

export function shardFetcher(
  kinesis: KinesisClient,
  options: {
    streamName: string;
    shardId: string;
    after: string | undefined;
    limit: number;
    onBackoff?: (error: string, ms: number) => void;
  },
): ShardFetcher {
  let lastSequence = options.after;
  let iterator: string | undefined;
  let backoff = 0;

  const newIterator = async () => {
    const response = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: options.streamName,
        ShardId: options.shardId,
        ...(lastSequence
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: lastSequence }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return response.ShardIterator;
  };

  return {
    async next() {
      for (;;) {
        try {
          iterator ??= await newIterator();
          if (!iterator) return { records: [], millisBehindLatest: 0, ended: true };
          const page = await kinesis.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: options.limit }),
          );
          backoff = 0;
          const records = page.Records ?? [];
          const last = records[records.length - 1];
          if (last?.SequenceNumber) lastSequence = last.SequenceNumber;
          iterator = page.NextShardIterator;
          return { records, millisBehindLatest: page.MillisBehindLatest, ended: !page.NextShardIterator };
        } catch (error) {
          if (error instanceof ExpiredIteratorException) {
            iterator = undefined; // a fresh one starts after the last record handed out
            continue;
          }
          const name = (error as Error).name;
          backoff = Math.min(5000, backoff === 0 ? 100 : backoff * 2);
          options.onBackoff?.(
            THROTTLED.includes(name) ? `throttled (${name})` : `${name}: ${(error as Error).message}`,
            backoff,
          );
          await new Promise((resolve) => setTimeout(resolve, backoff));
        }
      }
    },
  };
}
