// Object keys of the cleaned bucket (docs/design.md "Cleaned objects"). A rows object is named by
// where its batch starts, so two holders of a shard starting a batch at the same record aim at the
// same key and the conditional write lets only one of them create it; its last sequence number is
// in the object's metadata. Objects of the earlier layout are named by both ends.

/** The folder of one shard's rows objects in one date partition. */
export const rowsFolder = (dt: string, shardId: string) => `rows/dt=${dt}/${shardId}/`;

export const rowsKey = (dt: string, shardId: string, firstSeq: string) =>
  `${rowsFolder(dt, shardId)}${firstSeq}.csv`;

/** The earlier layout, still read (and aligned to on a replay), never written. */
export const legacyRowsKey = (dt: string, shardId: string, firstSeq: string, lastSeq: string) =>
  `${rowsFolder(dt, shardId)}${firstSeq}-${lastSeq}.csv`;

export const deadLetterKey = (dt: string, shardId: string, seq: string) =>
  `rejected/dt=${dt}/${shardId}/${seq}.json`;

/**
 * What a key under a shard's rows folder says about an object starting at `firstSeq`: 'current'
 * for `<firstSeq>.csv` (its end is in its metadata), the end itself for `<firstSeq>-<lastSeq>.csv`,
 * undefined for anything else (another start that merely shares the digits, another file).
 */
export function rowsObjectAt(
  folder: string,
  firstSeq: string,
  key: string,
): 'current' | { legacyEnd: bigint } | undefined {
  if (!key.startsWith(folder)) return undefined;
  const name = key.slice(folder.length);
  if (name === `${firstSeq}.csv`) return 'current';
  const match = /^(\d+)-(\d+)\.csv$/.exec(name);
  if (match && match[1] === firstSeq) return { legacyEnd: BigInt(match[2] as string) };
  return undefined;
}
