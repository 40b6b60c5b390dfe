// Where cleaned batches go: one CSV object of the batch's rows, one JSON dead letter per bad
// record, and a retrain request once they are written.
import type { S3Client } from '@aws-sdk/client-s3';
import type { KclRecord } from 'aws-kcl';
import type { CleanedRow } from '../../lib/beer.js';
import { encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import type { Logger } from '../../lib/logger.js';
import { inParallel, listObjects, putObject } from '../../lib/s3.js';
import { type Buffered, dtOf } from '../processor/batch.js';
import type { Sink } from '../processor/batchingProcessor.js';
import { deadLetterKey, lastSeqOfKey, rowsKey, rowsPrefix } from './keys.js';
import type { RetrainTrigger } from './retrainTrigger.js';
import { type CleanedItem, cleanRecord, deadLetter } from './transform.js';

export interface CleanedSinkOptions {
  s3: S3Client;
  bucket: string;
  maxRecordBytes: number;
  logger: Logger;
  trigger?: RetrainTrigger;
}

export function cleanedSink(options: CleanedSinkOptions): Sink<CleanedItem> {
  const { s3, bucket, logger } = options;
  return {
    decode: (_record: KclRecord, data: Buffer) => cleanRecord(data, options.maxRecordBytes),

    async existingEnd(shardId, first) {
      const objects = await listObjects(
        s3,
        bucket,
        rowsPrefix(dtOf(first.arrival), shardId, first.sequenceNumber),
      );
      const ends = objects.map((object) => lastSeqOfKey(object.key)).filter((end) => end !== undefined);
      return ends.length > 0 ? ends.reduce((a, b) => (a > b ? a : b)) : undefined;
    },

    async write(shardId, batch) {
      const first = batch[0] as Buffered<CleanedItem>;
      const last = batch[batch.length - 1] as Buffered<CleanedItem>;
      const dt = dtOf(first.arrival);
      const rows: CleanedRow[] = [];
      const dead: Array<Buffered<CleanedItem>> = [];
      for (const buffered of batch) {
        if ('row' in buffered.item) rows.push(buffered.item.row);
        else dead.push(buffered);
      }
      await inParallel(dead, 16, async (b) => {
        const item = b.item as { reason: string; data: Uint8Array };
        // One warn line per dead letter; CloudWatch counts `deadLetter` for the alarm.
        logger.warn(
          { deadLetter: true, shardId, sequenceNumber: b.sequenceNumber, reason: item.reason },
          'dead letter',
        );
        const letter = deadLetter(item.reason, b.sequenceNumber, b.partitionKey, item.data);
        await putObject(
          s3,
          bucket,
          deadLetterKey(dtOf(b.arrival), shardId, b.sequenceNumber),
          JSON.stringify(letter),
          'application/json',
        );
      });
      if (rows.length > 0) {
        const key = rowsKey(dt, shardId, first.sequenceNumber, last.sequenceNumber);
        await putObject(s3, bucket, key, encodeCleanedCsv(rows), 'text/csv');
      }
    },

    written(_shardId, batch) {
      const rows = batch.filter((b) => 'row' in b.item).length;
      if (rows > 0) options.trigger?.newRows(rows);
    },
  };
}
