// The API keys in force. A KeySet compares keys in constant time: both sides are hashed to
// equal-length SHA-256 digests, so timingSafeEqual never sees different lengths, and every key of
// the set is compared every time. Where the keys come from is an ApiKeys: fixed (API_KEYS, read
// once) or read from Secrets Manager and refreshed (server/secretKeys.ts).
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class KeySet {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get size(): number {
    return this.digests.length;
  }

  /**
   * The hex SHA-256 digest of the key the candidate equals, or undefined. The digest names a key
   * (the rate limit's bucket, a session's key) without the key itself sitting in memory as a map key.
   */
  match(candidate: string): string | undefined {
    const presented = digest(candidate);
    let found: Buffer | undefined;
    for (const known of this.digests) {
      // No early exit: the time taken does not tell which key, or whether any, matched.
      if (timingSafeEqual(presented, known)) found = known;
    }
    return found?.toString('hex');
  }

  /** The hex digest of every key, for checks that name a key by something derived from its digest. */
  hexDigests(): string[] {
    return this.digests.map((d) => d.toString('hex'));
  }
}

export interface ApiKeys {
  /** Whether guarded routes need a key: false only for an empty API_KEYS (the routes are open). */
  readonly required: boolean;
  /**
   * The keys in force. Throws a DependencyError (a 503) while the keys' store has not been read
   * yet: no request is let in, or refused as if its key were wrong, before the keys are known.
   */
  current(): KeySet;
  /**
   * The digest of the key the candidate is, or undefined. A key the set does not know may refresh
   * the keys from their store first (at most once per refresh interval), so a key just added
   * works on its first request.
   */
  resolve(candidate: string): Promise<string | undefined>;
  close(): void;
}

/** API_KEYS: the keys given at start, for the life of the process. */
export function fixedKeys(keys: readonly string[]): ApiKeys {
  const set = new KeySet(keys);
  return {
    required: set.size > 0,
    current: () => set,
    resolve: async (candidate) => set.match(candidate),
    close: () => {},
  };
}
