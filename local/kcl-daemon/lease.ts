// One local daemon per application and stream: a Redis key with a TTL, renewed by a heartbeat.
// A second daemon waits out a stale lease (its owner crashed) but gives up on a live one. While
// Redis is away the daemon waits for it (acquiring) or keeps beating (holding); a lease that
// expired during an outage and that nobody else took is taken back, not given up.
// Key: kcl:<applicationName>:<streamName>:lease
import type { Redis } from 'ioredis';
import { isRetryable, TransientError } from '../../lib/errors.js';
import { type Policy, retry } from '../../lib/retry.js';

export const leaseKey = (application: string, stream: string) => `kcl:${application}:${stream}:lease`;

// Take the lease if it is free, renew it if it is ours; 0 when another daemon holds it. Acquiring
// uses it too: a SET sent while Redis was away can land after its client gave up on it, and the
// next attempt must then find its own lease, not "another daemon".
const CLAIM = `local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not holder then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Acquiring: tries again every 0.1 s rising to 1 s, for as long as Redis is away. */
export const ACQUIRE_RETRY: Policy = { attempts: Number.POSITIVE_INFINITY, baseMs: 100, capMs: 1000 };

export interface Lease {
  release(): Promise<void>;
}

/** Another daemon holds the lease: worth waiting for only while a dead owner's lease could expire. */
class LeaseHeld extends TransientError {}

export async function acquireLease(
  redis: Redis,
  key: string,
  owner: string,
  ttlMs: number,
  onLost: () => void,
  options: { onWait?: (error: unknown) => void; signal?: AbortSignal } = {},
): Promise<Lease> {
  // A lease whose owner died expires within its TTL: waiting longer means its owner is alive.
  const deadline = Date.now() + ttlMs + 500;
  await retry(
    async () => {
      if ((await redis.eval(CLAIM, 1, key, owner, String(ttlMs))) === 1) return;
      const holder = await redis.get(key);
      throw new LeaseHeld(
        `another daemon (${holder}) holds ${key}: refusing to run two daemons of the same application on the same stream`,
      );
    },
    {
      ...ACQUIRE_RETRY,
      signal: options.signal,
      retryable: (error) => (error instanceof LeaseHeld ? Date.now() <= deadline : isRetryable(error)),
      onRetry: (error) => {
        if (!(error instanceof LeaseHeld)) options.onWait?.(error);
      },
    },
  );
  const heartbeat = setInterval(async () => {
    try {
      if ((await redis.eval(CLAIM, 1, key, owner, String(ttlMs))) !== 1) {
        clearInterval(heartbeat);
        onLost();
      }
    } catch {
      // Redis unreachable for a beat: the next beat tries again.
    }
  }, ttlMs / 3);
  return {
    release: async () => {
      clearInterval(heartbeat);
      await redis.eval(RELEASE, 1, key, owner);
    },
  };
}
