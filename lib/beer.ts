// The cleaned row contract (docs/design.md "Cleaned row"): which fields of a Punk API beer survive,
// in which order, and what makes a record not a row. Pure functions, no I/O.
import { scanBeer } from './beerScan.js';
import { isRecord } from './guards.js';

export const CLEANED_COLUMNS = [
  'id',
  'name',
  'abv',
  'ibu',
  'target_fg',
  'target_og',
  'ebc',
  'srm',
  'ph',
] as const;
export const NUMERIC_COLUMNS = ['abv', 'ibu', 'target_fg', 'target_og', 'ebc', 'srm', 'ph'] as const;

export type NumericColumn = (typeof NUMERIC_COLUMNS)[number];
export type CleanedRow = { id: number; name: string | null } & Record<NumericColumn, number | null>;

export type CleanResult = { ok: true; row: CleanedRow } | { ok: false; reason: string };

/** Keeps the nine cleaned fields of a parsed beer, or says why the value is not a row. */
export function cleanBeer(value: unknown): CleanResult {
  if (!isRecord(value)) {
    return {
      ok: false,
      reason: `not an object: got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    };
  }
  const id = value.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    return { ok: false, reason: `id: expected a positive integer, got ${describe(id)}` };
  }
  const name = value.name;
  if (name !== undefined && name !== null && typeof name !== 'string') {
    return { ok: false, reason: `name: expected a string or null, got ${describe(name)}` };
  }
  // An empty name is no name: the CSV cannot tell an empty field from a null one (docs/design.md "Cleaned row").
  const row = { id, name: name === '' ? null : (name ?? null) } as CleanedRow;
  for (const column of NUMERIC_COLUMNS) {
    const field = value[column];
    if (field === undefined || field === null) {
      row[column] = null;
    } else if (typeof field === 'number' && Number.isFinite(field)) {
      row[column] = field;
    } else {
      return { ok: false, reason: `${column}: expected a finite number or null, got ${describe(field)}` };
    }
  }
  return { ok: true, row };
}

/** Decodes one Kinesis record's data (UTF-8 JSON) into a cleaned row or a rejection reason. */
export function cleanRecordData(data: Uint8Array): CleanResult {
  // The fast path builds only the nine fields; whatever it leaves, JSON.parse decides exactly.
  const scanned = scanBeer(data);
  if (scanned !== undefined) return cleanBeer(scanned);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  return cleanBeer(parsed);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
