// Where cleaned batches go: one CSV object per batch, named by the batch's first record and created
// only if absent (docs/design.md "Cleaned objects"), one JSON dead letter per bad record, and a
// retrain request once they are written.
import type { S3Client } from '@aws-sdk/client-s3';
import type { KclRecord } from 'aws-kcl';
import type { CleanedRow } from '../../lib/beer.js';
import { encodeCleanedCsvBytes } from '../../lib/cleanedCsv.js';
import { deadLetterKey, rowsFolder, rowsKey, rowsObjectAt } from '../../lib/cleanedKeys.js';
import type { Logger } from '../../lib/logger.js';
import { headMetadata, inParallel, listObjects, putObject, putObjectIfAbsent } from '../../lib/s3.js';
import { type Buffered, dtOf } from '../processor/batch.js';
import { LAST_SEQUENCE_NUMBER, type Sink } from '../processor/batchingProcessor.js';
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

  const endOf = async (key: string): Promise<bigint> => {
    const last = (await headMetadata(s3, bucket, key))?.[LAST_SEQUENCE_NUMBER];
    if (!last || !/^\d+$/.test(last))
      throw new Error(`s3://${bucket}/${key}: no ${LAST_SEQUENCE_NUMBER} metadata (got ${last ?? 'none'})`);
    return BigInt(last);
  };

  return {
    decode: (_record: KclRecord, data: Buffer) => cleanRecord(data, options.maxRecordBytes),

    // One LIST per batch start (it needs only s3:ListBucket, and S3 lists are strongly consistent)
    // finds both layouts; a HEAD reads the end of a current-layout object.
    async existingEnd(shardId, first) {
      const folder = rowsFolder(dtOf(first.arrival), shardId);
      const listed = await listObjects(s3, bucket, `${folder}${first.sequenceNumber}`);
      const found = listed.map((o) => ({
        key: o.key,
        at: rowsObjectAt(folder, first.sequenceNumber, o.key),
      }));
      const current = found.find((f) => f.at === 'current');
      if (current) return endOf(current.key);
      const legacyEnds = found.flatMap((f) => (typeof f.at === 'object' ? [f.at.legacyEnd] : []));
      return legacyEnds.length > 0 ? legacyEnds.reduce((a, b) => (a > b ? a : b)) : undefined;
    },

    // Dead letters first, the rows object last: an existing rows object means its batch's dead
    // letters exist too. A batch of dead letters only still gets its (header-only) rows object, so
    // that every batch leaves an object at its start for the next writer to find.
    async write(shardId, batch) {
      const first = batch[0] as Buffered<CleanedItem>;
      const last = batch[batch.length - 1] as Buffered<CleanedItem>;
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
        // Keyed by the record itself: a rewrite (replay, second holder) is the same object.
        await putObject(
          s3,
          bucket,
          deadLetterKey(dtOf(b.arrival), shardId, b.sequenceNumber),
          JSON.stringify(letter),
          'application/json',
        );
      });
      return putObjectIfAbsent(
        s3,
        bucket,
        rowsKey(dtOf(first.arrival), shardId, first.sequenceNumber),
        encodeCleanedCsvBytes(rows),
        'text/csv',
        { [LAST_SEQUENCE_NUMBER]: last.sequenceNumber },
      );
    },

    written(_shardId, batch) {
      const rows = batch.filter((b) => 'row' in b.item).length;
      if (rows > 0) options.trigger?.newRows(rows);
    },
  };
}
