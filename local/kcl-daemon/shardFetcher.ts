// The fetch manager for one shard: keeps a shard iterator, reads pages of records, renews an
// expired iterator after the last record handed out, and retries what is worth retrying under the
// retry policy (throttling, 5xx, a Kinesis that is away) until it answers or the runner stops.
// An error retrying cannot fix (AccessDenied, a missing stream or shard, a bad request) ends the
// read with a FetchFailed naming it.
import {
  type _Record,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { isAbort, PermanentError } from '../../lib/errors.js';
import { type Policy, retry } from '../../lib/retry.js';

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

/** Reads are retried for as long as it takes (the runner's stop ends the wait), waits up to 5 s. */
export const FETCH_RETRY: Policy = { attempts: Number.POSITIVE_INFINITY, baseMs: 100, capMs: 5000 };

/** A read failed in a way retrying cannot fix. */
export class FetchFailed extends PermanentError {}

export interface ShardFetcher {
  /** The next page; rejects with an AbortError when the signal aborts, FetchFailed on a fatal error. */
  next(signal?: AbortSignal): Promise<Page>;
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

  const fetchPage = async (): Promise<Page> => {
    for (let renewed = false; ; renewed = true) {
      iterator ??= await newIterator();
      if (!iterator) return { records: [], millisBehindLatest: 0, ended: true };
      try {
        const page = await kinesis.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: options.limit }),
        );
        const records = page.Records ?? [];
        const last = records[records.length - 1];
        if (last?.SequenceNumber) lastSequence = last.SequenceNumber;
        iterator = page.NextShardIterator;
        return { records, millisBehindLatest: page.MillisBehindLatest, ended: !page.NextShardIterator };
      } catch (error) {
        // Any error leaves the iterator in doubt: the next attempt takes a fresh one after the
        // last record handed out. An expired one is renewed at once.
        iterator = undefined;
        if (error instanceof ExpiredIteratorException && !renewed) continue;
        throw error;
      }
    }
  };

  return {
    async next(signal) {
      try {
        return await retry(fetchPage, {
          ...FETCH_RETRY,
          signal,
          onRetry: (error, _attempt, ms) => {
            const { name, message } = error as Error;
            options.onBackoff?.(THROTTLED.includes(name) ? `throttled (${name})` : `${name}: ${message}`, ms);
          },
        });
      } catch (error) {
        if (isAbort(error)) throw error;
        const { name, message } = error as Error;
        throw new FetchFailed(
          `reading ${options.shardId} of stream ${options.streamName}: ${name}: ${message} (not retried)`,
          { cause: error },
        );
      }
    },
  };
}
