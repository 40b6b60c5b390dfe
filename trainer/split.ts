// Deterministic splits by a hash of the beer id: a beer is always in the same split, whatever else
// is in the table, so the test set only grows as data arrives and models are compared fairly.
import { createHash } from 'node:crypto';

export type Split = 'train' | 'validation' | 'test';

/** 0..99, stable for an id. */
export function idBucket(id: number): number {
  return createHash('sha256').update(String(id)).digest().readUInt32BE(0) % 100;
}

export function splitOf(id: number): Split {
  const bucket = idBucket(id);
  if (bucket < 20) return 'test';
  if (bucket < 30) return 'validation';
  return 'train';
}

/** Cross-validation fold (0..k-1) by the same hash. */
export const foldOf = (id: number, k: number) => idBucket(id) % k;
