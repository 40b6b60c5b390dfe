// API keys compared in constant time: both sides are hashed to equal-length SHA-256 digests, so
// timingSafeEqual never sees different lengths, and every configured key is compared every time.
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get configured(): boolean {
    return this.digests.length > 0;
  }

  /**
   * The hex SHA-256 digest of the configured key the candidate equals, or undefined. The digest
   * names a client (the rate limit's bucket) without the key itself sitting in memory as a map key.
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

  matches(candidate: string): boolean {
    return this.match(candidate) !== undefined;
  }
}
