// Object keys of the cleaned bucket (docs/design.md "Cleaned objects").
export const rowsPrefix = (dt: string, shardId: string, firstSeq: string) =>
  `rows/dt=${dt}/${shardId}/${firstSeq}-`;

export const rowsKey = (dt: string, shardId: string, firstSeq: string, lastSeq: string) =>
  `${rowsPrefix(dt, shardId, firstSeq)}${lastSeq}.csv`;

export const deadLetterKey = (dt: string, shardId: string, seq: string) =>
  `rejected/dt=${dt}/${shardId}/${seq}.json`;

/** The last sequence number of a rows object key, or undefined if the key is not one. */
export function lastSeqOfKey(key: string): bigint | undefined {
  const match = /\/(\d+)-(\d+)\.csv$/.exec(key);
  return match ? BigInt(match[2] as string) : undefined;
}
