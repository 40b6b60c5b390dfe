// API keys read from Secrets Manager by the secret's ARN (API_KEYS_SECRET_ARN), so a key is added
// or removed without replacing a server task (docs/design.md "HTTP API", keys). The keys are
// cached and re-read every API_KEYS_REFRESH_S; a key the cache does not know also triggers a read,
// at most once per interval, so made-up keys cannot hammer the store. A read that fails, or a
// secret that is not a list of keys, leaves the cached keys in force and is logged naming the
// secret; until a first read succeeds guarded routes answer 503 (never open, never "wrong key").
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FastifyBaseLogger } from 'fastify';
import { CorruptObjectError, DependencyError, isAbort } from '../lib/errors.js';
import { type Policy, retry } from '../lib/retry.js';
import { type ApiKeys, KeySet } from './apiKeys.js';

/** Shorter keys are refused: a key is a secret a client may be sent to guess. */
export const MIN_KEY_LENGTH = 16;

/**
 * The keys in a secret's value: comma-separated, each trimmed, blank entries ignored; each of at
 * least MIN_KEY_LENGTH visible ASCII characters (what an HTTP header carries as is). The problem
 * never quotes a key, since it is logged.
 */
export function keysInSecret(value: string | undefined): { keys: string[] } | { problem: string } {
  if (value === undefined)
    return { problem: 'no SecretString (a binary secret); the keys are text: KEY1,KEY2' };
  const text = value.trim();
  if (/^[[{"]/.test(text))
    return { problem: 'a JSON document; the keys are comma-separated text: KEY1,KEY2' };
  const keys = text
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  if (keys.length === 0) return { problem: 'no keys: the value is empty' };
  for (const [index, key] of keys.entries()) {
    if (!/^[\x21-\x7e]+$/.test(key))
      return { problem: `key ${index + 1} has a space, a control character or a character beyond ASCII` };
    if (key.length < MIN_KEY_LENGTH)
      return { problem: `key ${index + 1} has ${key.length} characters, fewer than ${MIN_KEY_LENGTH}` };
  }
  return { keys };
}

/** Whether an unknown key may trigger a read: not if one did less than an interval ago. */
export function mayReadOnUnknownKey(now: number, lastRead: number | undefined, intervalMs: number): boolean {
  return lastRead === undefined || now - lastRead >= intervalMs;
}

// Reads run under the one retry policy (the client's own retries are off): at start until the
// first read succeeds, on the timer a few attempts, and for an unknown key one attempt, since a
// request waits for it.
const FIRST_READ = (intervalMs: number): Policy => ({
  attempts: Number.POSITIVE_INFINITY,
  baseMs: 1000,
  capMs: Math.min(30_000, intervalMs),
});
const REFRESH: Policy = { attempts: 3, baseMs: 200, capMs: 2000 };

export interface SecretKeysOptions {
  /** Built with SDK_RETRIES_OFF: the policies above own the retries. Destroyed by close(). */
  client: SecretsManagerClient;
  secretArn: string;
  refreshMs: number;
  log: FastifyBaseLogger;
  now?: () => number;
}

export function secretKeys(options: SecretKeysOptions): ApiKeys {
  const { client, secretArn, refreshMs, log } = options;
  const now = options.now ?? Date.now;
  const stop = new AbortController();
  // What a client may be told (the 503's message); the logs name the secret's ARN.
  const operation = 'read the API keys';
  let keys: KeySet | undefined;
  let version: string | undefined;
  let lastFailure: unknown;
  let reading: Promise<void> | undefined;
  let lastOnDemand: number | undefined;
  let timer: NodeJS.Timeout | undefined;

  const readOnce = async (): Promise<void> => {
    let answer: { SecretString?: string; VersionId?: string };
    try {
      answer = await client.send(new GetSecretValueCommand({ SecretId: secretArn }), {
        abortSignal: stop.signal,
      });
    } catch (error) {
      throw new DependencyError('Secrets Manager', operation, error);
    }
    const read = keysInSecret(answer.SecretString);
    if ('problem' in read) throw new CorruptObjectError(`secret ${secretArn}`, read.problem);
    if (keys === undefined || answer.VersionId !== version) {
      log.info(
        { secret: secretArn, version: answer.VersionId, keys: read.keys.length },
        keys === undefined ? 'API keys read from Secrets Manager' : 'API keys changed in Secrets Manager',
      );
    }
    keys = new KeySet(read.keys);
    version = answer.VersionId;
    lastFailure = undefined;
  };
  // One read at a time: whoever asks while one is in flight waits for that one.
  const read = (): Promise<void> => {
    reading ??= readOnce().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  const failed = (error: unknown, what: string) => {
    if (isAbort(error) || stop.signal.aborted) return;
    lastFailure = error;
    const why =
      error instanceof CorruptObjectError
        ? error.reason
        : error instanceof Error
          ? error.message
          : String(error);
    const cached = keys
      ? `the ${keys.size} cached keys stay in force`
      : 'no keys yet: guarded routes answer 503';
    log.warn(
      { err: error, secret: secretArn },
      `API keys ${what} from secret ${secretArn}: ${why}; ${cached}`,
    );
  };

  const refresh = async (policy: Policy, what: string) => {
    try {
      await retry(read, {
        ...policy,
        signal: stop.signal,
        onRetry: (error, attempt, waitMs) =>
          log.warn({ err: error, secret: secretArn, attempt, waitMs }, `API keys ${what}: retrying`),
      });
    } catch (error) {
      failed(error, what === 'first read' ? 'not read' : 'not refreshed');
    }
  };

  const tick = async () => {
    await refresh(REFRESH, 'refresh');
    if (!stop.signal.aborted) timer = setTimeout(tick, refreshMs).unref();
  };
  void refresh(FIRST_READ(refreshMs), 'first read').then(() => {
    if (!stop.signal.aborted) timer = setTimeout(tick, refreshMs).unref();
  });

  const onUnknownKey = async (): Promise<void> => {
    if (reading) return reading.catch(() => {});
    const at = now();
    if (!mayReadOnUnknownKey(at, lastOnDemand, refreshMs)) return;
    lastOnDemand = at;
    try {
      await read();
    } catch (error) {
      failed(error, 'not refreshed for an unknown key');
    }
  };

  return {
    required: true,
    current: () => {
      if (keys) return keys;
      throw new DependencyError('Secrets Manager', operation, lastFailure ?? new Error('not read yet'));
    },
    resolve: async (candidate) => {
      const found = keys?.match(candidate);
      if (found !== undefined) return found;
      await onUnknownKey();
      return keys?.match(candidate);
    },
    close: () => {
      stop.abort();
      clearTimeout(timer);
      client.destroy();
    },
  };
}
