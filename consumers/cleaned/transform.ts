// The cleaned path's record transform: one Kinesis record in, a cleaned row or a dead letter out.
// Pure: no I/O, no clock.
import { type CleanedRow, cleanRecordData } from '../../lib/beer.js';

export type CleanedItem = { row: CleanedRow } | { reason: string; data: Uint8Array };

export function cleanRecord(data: Uint8Array, maxRecordBytes: number): CleanedItem {
  if (data.byteLength > maxRecordBytes) {
    return { reason: `oversized: ${data.byteLength} bytes is over the ${maxRecordBytes}-byte limit`, data };
  }
  const result = cleanRecordData(data);
  return result.ok ? { row: result.row } : { reason: result.reason, data };
}

export interface DeadLetter {
  reason: string;
  sequenceNumber: string;
  partitionKey: string;
  /** The record's original bytes, base64. */
  data: string;
}

export function deadLetter(
  reason: string,
  sequenceNumber: string,
  partitionKey: string,
  data: Uint8Array,
): DeadLetter {
  return { reason, sequenceNumber, partitionKey, data: Buffer.from(data).toString('base64') };
}
