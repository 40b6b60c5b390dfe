// The one retry policy (docs/design.md "Retries"): every loop that retries I/O runs through `retry`
// with its own numbers, so backoff, attempt counting, which errors are worth another try and how a
// stop ends the wait are decided here once. Clients whose calls are retried here are built with
// the SDK's own retries off (lib/aws.ts), so an attempt is one request.
import { setTimeout as delay } from 'node:timers/promises';
import { isRetryable } from './errors.js';

export interface Backoff {
  /** The first retry waits up to baseMs, each next one up to twice as long... */
  baseMs: number;
  /** ...but never longer than capMs. */
  capMs: number;
  /** 'full' (default): a uniform draw from [0, that ceiling] ("full jitter"); 'none': the ceiling. */
  jitter?: 'full' | 'none';
}

export interface Policy extends Backoff {
  /** Attempts in all, the first one included; Infinity retries until success, a fatal error or abort. */
  attempts: number;
}

export interface RetryOptions extends Policy {
  /** Aborting ends the current wait at once and the loop with an AbortError. */
  signal?: AbortSignal;
  /** Whether an error is worth another attempt; isRetryable by default. */
  retryable?: (error: unknown) => boolean;
  /** Called before each wait, with the attempt that failed (1, 2, ...) and the wait. */
  onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
  /** For unit tests: a wait that does not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** The wait before retry number `retry` (0 for the first). */
export function backoffDelay(retry: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** retry);
  return backoff.jitter === 'none' ? ceiling : Math.floor(random() * ceiling);
}

const wait = (ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal });

/**
 * Runs `work` until it succeeds, throwing the last error once the attempts are spent or at the first
 * error that is not retryable, and an AbortError as soon as the signal aborts (during a wait too).
 */
export async function retry<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retryable = options.retryable ?? isRetryable;
  const sleep = options.sleep ?? wait;
  for (let attempt = 1; ; attempt += 1) {
    options.signal?.throwIfAborted();
    try {
      return await work(attempt);
    } catch (error) {
      options.signal?.throwIfAborted();
      if (attempt >= options.attempts || !retryable(error)) throw error;
      const ms = backoffDelay(attempt - 1, options, options.random);
      options.onRetry?.(error, attempt, ms);
      await sleep(ms, options.signal);
    }
  }
}
