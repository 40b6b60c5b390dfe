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

  matches(candidate: string): boolean {
    const presented = digest(candidate);
    let found = false;
    for (const known of this.digests) found = timingSafeEqual(presented, known) || found;
    return found;
  }
}
