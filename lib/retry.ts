// The one retry policy (docs/design.md "Retries"): every loop that retries I/O runs through `retry`
// with its own numbers, so backoff, attempt counting, which errors are worth another try and how a
// stop ends the wait are decided here once. Clients whose calls are retried here are built with
// the SDK's own retries off (lib/aws.ts), so an attempt is one request.
import { setTimeout as delay } from 'node:timers/promises';

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

// Error names as AWS services (S3's XML codes, Kinesis's exception names) and the SDK report them.
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'Throttling',
  'SlowDown',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
const TRANSIENT = new Set([
  'ConditionalRequestConflict', // S3 409: "you should retry the upload"
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
]);
const FATAL = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'Forbidden',
  'KMSAccessDeniedException',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'ValidationException',
  'ValidationError',
  'InvalidArgument',
  'InvalidArgumentException',
  'InvalidRequest',
  'NotFound',
  'NoSuchKey',
  'NoSuchBucket',
  'ResourceNotFoundException',
  'PreconditionFailed',
]);
// Node's socket and DNS errors: the other end is away, or the path to it.
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/**
 * Retryable: throttling, 5xx, timeouts, connection errors, S3's 409 ConditionalRequestConflict.
 * Not: AccessDenied/403, validation/400, NotFound/404, NoSuchKey, ResourceNotFound,
 * PreconditionFailed/412, and programming errors (TypeError and the like). An I/O error that says
 * nothing of itself (no status, no known name: a dropped socket, a Redis command timeout) is retried:
 * the attempts bound it.
 */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, $metadata, $retryable } = error as ErrorShape;
  if (typeof name === 'string') {
    if (FATAL.has(name)) return false;
    if (THROTTLING.has(name) || TRANSIENT.has(name)) return true;
  }
  if ($retryable) return true;
  if (typeof code === 'string' && NETWORK.has(code)) return true;
  const status = $metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500 || status === 408 || status === 409 || status === 429;
  return !(
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  );
}

export const isAbort = (error: unknown): boolean =>
  (error as { name?: unknown } | null)?.name === 'AbortError';

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
