// The local stand-in for Firehose's raw delivery: records unchanged, one per line, under
// Firehose's hour layout. An object is named by its first record and created only if absent; its
// last sequence number rides in its metadata, so that a replay or a second holder of the shard
// ends its batch at the same record instead of overwriting the object (docs/design.md "Raw objects").
import type { S3Client } from '@aws-sdk/client-s3';
import { headMetadata, putObjectIfAbsent } from '../../lib/s3.js';
import type { Buffered } from '../processor/batch.js';
import { LAST_SEQUENCE_NUMBER, type Sink } from '../processor/batchingProcessor.js';

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
      const key = rawKey(streamName, shardId, first);
      const metadata = await headMetadata(s3, bucket, key);
      if (metadata === undefined) return undefined;
      const last = metadata[LAST_SEQUENCE_NUMBER];
      if (!last || !/^\d+$/.test(last))
        throw new Error(`s3://${bucket}/${key}: no ${LAST_SEQUENCE_NUMBER} metadata (got ${last ?? 'none'})`);
      return BigInt(last);
    },

    async write(shardId, batch) {
      const first = batch[0] as Buffered<Buffer>;
      const last = batch[batch.length - 1] as Buffered<Buffer>;
      const body = Buffer.concat(batch.flatMap((b) => [b.item, Buffer.from('\n')]));
      return putObjectIfAbsent(s3, bucket, rawKey(streamName, shardId, first), body, 'application/x-ndjson', {
        [LAST_SEQUENCE_NUMBER]: last.sequenceNumber,
      });
    },
  };
}
