// The local stand-in for Firehose's raw delivery: records unchanged, one per line, under
// Firehose's hour layout. The object's last sequence number rides in its metadata so that a
// replay ends its batch at the same record and rewrites the same object.
import type { S3Client } from '@aws-sdk/client-s3';
import { headMetadata, putObject } from '../../lib/s3.js';
import type { Buffered } from '../processor/batch.js';
import type { Sink } from '../processor/batchingProcessor.js';

export function rawKey(
  streamName: string,
  shardId: string,
  first: { arrival: number; sequenceNumber: string },
): string {
  const hour = new Date(first.arrival).toISOString().slice(0, 13).replace(/[-T]/g, '/'); // YYYY/MM/DD/HH
  return `${hour}/${streamName}-${shardId}-${first.sequenceNumber}.jsonl`;
}

export function rawSink(options: { s3: S3Client; bucket: string; streamName: string }): Sink<Buffer> {
  const { s3, bucket, streamName } = options;
  return {
    decode: (_record, data) => data,

    async existingEnd(shardId, first) {
      const metadata = await headMetadata(s3, bucket, rawKey(streamName, shardId, first));
      const last = metadata?.['last-sequence-number'];
      return last ? BigInt(last) : undefined;
    },

    async write(shardId, batch) {
      const first = batch[0] as Buffered<Buffer>;
      const last = batch[batch.length - 1] as Buffered<Buffer>;
      const body = Buffer.concat(batch.flatMap((b) => [b.item, Buffer.from('\n')]));
      await putObject(s3, bucket, rawKey(streamName, shardId, first), body, 'application/x-ndjson', {
        'last-sequence-number': last.sequenceNumber,
      });
    },
  };
}
