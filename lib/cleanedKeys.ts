// The cleaned bucket's key layout (docs/design.md "Cleaned objects", "Dead letters", "Table
// snapshots", "Inference log"), built and parsed here and nowhere else: the consumer writes rows/
// and rejected/ objects by these names, the table reader parses them back, the compactor names
// snapshots, the server names its prediction log objects.
//
// A rows object is named by where its batch starts, so two holders of a shard starting a batch at
// the same record aim at the same key and the conditional write lets only one of them create it;
// its last sequence number is in the object's metadata. Objects of the earlier layout are named by
// both ends.

export const ROWS_PREFIX = 'rows/';
export const SNAPSHOTS_PREFIX = 'snapshots/';
export const PREDICTIONS_PREFIX = 'predictions/';

// ---- rows/ and rejected/ ----

/** The folder of one shard's rows objects in one date partition. */
export const rowsFolder = (dt: string, shardId: string) => `${ROWS_PREFIX}dt=${dt}/${shardId}/`;

export const rowsKey = (dt: string, shardId: string, firstSeq: string) =>
  `${rowsFolder(dt, shardId)}${firstSeq}.csv`;

/** The earlier layout, still read (and aligned to on a replay), never written. */
export const legacyRowsKey = (dt: string, shardId: string, firstSeq: string, lastSeq: string) =>
  `${rowsFolder(dt, shardId)}${firstSeq}-${lastSeq}.csv`;

export const deadLetterKey = (dt: string, shardId: string, seq: string) =>
  `rejected/dt=${dt}/${shardId}/${seq}.json`;

/** Where a listing of rows/ starts so that it skips every partition before `dt`. */
export const rowsListStartAfter = (dt: string) => `${ROWS_PREFIX}dt=${dt}`;

// Every `.csv` under a date partition is one object of rows, in either layout; anything else under
// rows/ is not part of the table.
const ROWS_KEY = /^rows\/dt=(\d{4}-\d\d-\d\d)\/.+\.csv$/;

/** The date partition of a rows/ object key; undefined for a key that is not one (ignored). */
export const dtOfRowsKey = (key: string): string | undefined => ROWS_KEY.exec(key)?.[1];

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

/**
 * Where an object under a shard's rows folder starts, and where it ends when its name says so (the
 * earlier layout; a current object's end is in its metadata). Undefined for anything else.
 */
export function rowsObjectRange(folder: string, key: string): { first: bigint; last?: bigint } | undefined {
  if (!key.startsWith(folder)) return undefined;
  const match = /^(\d+)(?:-(\d+))?\.csv$/.exec(key.slice(folder.length));
  if (!match) return undefined;
  const first = BigInt(match[1] as string);
  return match[2] === undefined ? { first } : { first, last: BigInt(match[2]) };
}

// ---- snapshots/ ----

const pad = (n: number) => String(n).padStart(10, '0');
export const snapshotPrefix = (n: number) => `${SNAPSHOTS_PREFIX}${pad(n)}/`;
export const manifestKey = (n: number) => `${snapshotPrefix(n)}manifest.json`;
export const tableKey = (n: number, writer: string) => `${snapshotPrefix(n)}table-${writer}.csv`;

/** The snapshot number of a key under snapshots/, if it is a manifest. */
export function manifestNumber(key: string): number | undefined {
  const match = /^snapshots\/(\d{10})\/manifest\.json$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/** The snapshot number of any key under snapshots/. */
export function snapshotNumber(key: string): number | undefined {
  const match = /^snapshots\/(\d{10})\//.exec(key);
  return match ? Number(match[1]) : undefined;
}

// ---- predictions/ ----

const seq = (n: number) => String(n).padStart(12, '0');

/**
 * One object of the server's inference log: the rows `first` to `last` (the instance's own row
 * numbers, from 1, so a gap shows rows dropped) logged by one server process on the UTC date `dt`.
 */
export const predictionLogKey = (dt: string, instance: string, first: number, last: number) =>
  `${PREDICTIONS_PREFIX}dt=${dt}/${instance}/${seq(first)}-${seq(last)}.jsonl`;

const PREDICTION_LOG_KEY = /^predictions\/dt=(\d{4}-\d\d-\d\d)\/([^/]+)\/(\d{12})-(\d{12})\.jsonl$/;

/** What a prediction log key says; undefined for any other key. */
export function parsePredictionLogKey(
  key: string,
): { dt: string; instance: string; first: number; last: number } | undefined {
  const match = PREDICTION_LOG_KEY.exec(key);
  if (!match) return undefined;
  return {
    dt: match[1] as string,
    instance: match[2] as string,
    first: Number(match[3]),
    last: Number(match[4]),
  };
}
