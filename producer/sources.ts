// Where beers come from: the bundled punkapi-db data set (offline default) or the live Punk API.
// A source returns only well-formed beers; anything else is skipped with a reason, never put.
import beers from 'punkapi-db' with { type: 'json' };
import { isRecord } from '../lib/guards.js';

export type Beer = Record<string, unknown> & { id: number };

export interface Skipped {
  reason: string;
}

export interface SourceBatch {
  beers: Beer[];
  skipped: Skipped[];
}

/** A beer worth putting on the stream: an object whose id is a positive integer. */
export function acceptBeer(value: unknown): { ok: true; beer: Beer } | { ok: false; reason: string } {
  if (!isRecord(value)) {
    return {
      ok: false,
      reason: `not a beer object: got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
    };
  }
  if (!hasBeerId(value)) {
    return {
      ok: false,
      reason: `beer without a positive integer id (id: ${JSON.stringify(value.id) ?? 'missing'})`,
    };
  }
  return { ok: true, beer: value };
}

/** The one field a Beer promises beyond being an object. */
function hasBeerId(value: Record<string, unknown>): value is Beer {
  const { id } = value;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
}

export function sortBeers(values: unknown[]): SourceBatch {
  const batch: SourceBatch = { beers: [], skipped: [] };
  for (const value of values) {
    const result = acceptBeer(value);
    if (result.ok) batch.beers.push(result.beer);
    else batch.skipped.push({ reason: result.reason });
  }
  return batch;
}

/** The 325 bundled beers (punkapi-db, MIT), in data-set order. */
export function bundledBeers(): SourceBatch {
  return sortBeers(beers);
}

/**
 * One call to the live Punk API (e.g. /v2/beers/random, which answers a JSON array). An HTTP error,
 * a network error or a body that is not a JSON array yields no beers and one skip reason.
 */
export async function fetchLiveBeers(url: string, timeoutMs = 10_000): Promise<SourceBatch> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    return { beers: [], skipped: [{ reason: `request to ${url} failed: ${(error as Error).message}` }] };
  }
  const text = await response.text();
  if (!response.ok) {
    return { beers: [], skipped: [{ reason: `${url} answered HTTP ${response.status}` }] };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      beers: [],
      skipped: [{ reason: `${url} answered a body that is not JSON (${text.slice(0, 60)})` }],
    };
  }
  // The classic API answers an array; accept a single object too.
  return sortBeers(Array.isArray(body) ? body : [body]);
}

/** Synthetic beers for load runs: bundled beers cycled, with distinct ids when asked. */
export function* syntheticBeers(count: number, distinctIds: boolean, firstId = 1_000_000): Generator<Beer> {
  const base = bundledBeers().beers;
  for (let i = 0; i < count; i += 1) {
    const beer = base[i % base.length] as Beer;
    yield distinctIds ? { ...beer, id: firstId + i } : beer;
  }
}
