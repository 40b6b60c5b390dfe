// One local daemon per application and stream: a Redis key with a TTL, renewed by a heartbeat.
// A second daemon waits out a stale lease (its owner crashed) but gives up on a live one.
// Key: kcl:<applicationName>:<streamName>:lease
import type { Redis } from 'ioredis';

export const leaseKey = (application: string, stream: string) => `kcl:${application}:${stream}:lease`;

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface Lease {
  release(): Promise<void>;
}

export async function acquireLease(
  redis: Redis,
  key: string,
  owner: string,
  ttlMs: number,
  onLost: () => void,
): Promise<Lease> {
  const deadline = Date.now() + ttlMs + 500;
  for (;;) {
    if ((await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK') break;
    if (Date.now() > deadline) {
      const holder = await redis.get(key);
      throw new Error(
        `another daemon (${holder}) holds ${key}: refusing to run two daemons of the same application on the same stream`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, ttlMs / 4)));
  }
  const heartbeat = setInterval(async () => {
    try {
      if ((await redis.eval(RENEW, 1, key, owner, String(ttlMs))) !== 1) {
        clearInterval(heartbeat);
        onLost();
      }
    } catch {
      // Redis unreachable for a beat: the next beat tries again; the TTL is three beats long.
    }
  }, ttlMs / 3);
  return {
    release: async () => {
      clearInterval(heartbeat);
      await redis.eval(RELEASE, 1, key, owner);
    },
  };
}
