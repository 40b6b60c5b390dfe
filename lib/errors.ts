// The error taxonomy (docs/design.md "Conventions"): every error of ours says whether retrying can
// help (`retriable`, as kafkajs's errors do) and carries its class name, so the retry policy
// (lib/retry.ts), the trainer's worker and the server's HTTP mapping ask the error instead of
// keeping lists. An I/O failure is never relabelled: it is wrapped, with `cause`, to add what was
// being read or written, and keeps the retryability of what it wraps. Errors of other libraries
// (the AWS SDK's, Node's sockets, ioredis's) are classified by `isRetryable` from their names,
// codes and statuses.

export abstract class BrewstreamError extends Error {
  abstract readonly retriable: boolean;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Retrying meets the same thing again: bad data, a corrupt object, a wrong setting. */
export abstract class PermanentError extends BrewstreamError {
  readonly retriable = false;
}

/** Another attempt may well succeed: something moved under the caller, or is busy. */
export abstract class TransientError extends BrewstreamError {
  readonly retriable = true;
}

/** Settings that cannot be used; `problems` names each bad one and what is wrong. */
export class ConfigError extends PermanentError {
  constructor(
    readonly problems: string[],
    source = 'configuration',
  ) {
    super(`invalid ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Training data that cannot be trained on (an all-null feature, no target at all). */
export class DataError extends PermanentError {}

/**
 * Not enough data yet (an empty table, too few rows to split): what a fresh deployment's first
 * retrains meet until its data arrives. Permanent for the job, and expected: the worker does not
 * report it as a failed job.
 */
export class NotEnoughDataError extends DataError {}

/**
 * A stored object that was read but cannot be used: not JSON, not of its schema, a CSV that does
 * not decode, a checksum that differs. `location` names it (`s3://bucket/key`, or the key).
 */
export class CorruptObjectError extends PermanentError {
  constructor(
    readonly location: string,
    readonly reason: string,
  ) {
    super(`${location}: ${reason}`);
  }
}

export type Dependency = 'S3' | 'Redis' | 'Kinesis' | 'Secrets Manager';

/**
 * A call to a dependency failed: it is away, throttling, answering errors, or refusing us. Wraps the
 * client's error (`cause`) with the dependency and what was asked of it; retriable when the cause is.
 */
export class DependencyError extends BrewstreamError {
  readonly retriable: boolean;

  constructor(
    readonly dependency: Dependency,
    /** What was being read or written: `GET s3://models/models/ibu/champion.json`. */
    readonly operation: string,
    cause: unknown,
    message = `${dependency}: ${operation}: ${describeCause(cause)}`,
  ) {
    super(message, { cause });
    this.retriable = isRetryable(cause);
  }

  /** The cause's own error name (`NoSuchKey`, `SlowDown`, `ECONNREFUSED`...). */
  get code(): string | undefined {
    const { name, code } = (this.cause ?? {}) as { name?: unknown; code?: unknown };
    if (typeof code === 'string') return code;
    return typeof name === 'string' && name !== 'Error' ? name : undefined;
  }

  /** The HTTP status the dependency answered, if it answered. */
  get status(): number | undefined {
    return (this.cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  }
}

/**
 * S3 refused the request (403). For a GET or HEAD of a key that does not exist this is also what
 * S3 answers a caller without s3:ListBucket on the bucket, instead of 404: so where a missing key
 * is expected, a 403 means the role's policy (or the bucket name) is wrong, not that the key is
 * missing (docs/aws.md "IAM"). Never retried.
 */
export class S3AccessDeniedError extends DependencyError {
  constructor(
    readonly bucket: string,
    readonly key: string,
    cause: unknown,
  ) {
    super(
      'S3',
      `s3://${bucket}/${key}`,
      cause,
      `s3://${bucket}/${key}: access denied (HTTP 403). S3 answers 403 rather than 404 for a missing key when the caller may not s3:ListBucket on the bucket: a configuration error (the role's IAM policy or the bucket name), not a missing object`,
    );
  }
}

/**
 * The cause in a few words: its code and status (`SlowDown (HTTP 503)`, `ECONNREFUSED`), or its
 * message when it has neither. Its full text travels as `cause` (pino logs it after the message).
 */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const status = (cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (cause as { code?: unknown }).code;
  const label = typeof code === 'string' ? code : cause.name !== 'Error' ? cause.name : undefined;
  if (label === undefined) return status === undefined ? cause.message : `HTTP ${status}: ${cause.message}`;
  return status === undefined ? label : `${label} (HTTP ${status})`;
}

// ---- Errors of other libraries ----

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
 * Ours: what the error says. Others': retryable are throttling, 5xx, timeouts, connection errors,
 * S3's 409 ConditionalRequestConflict; not AccessDenied/403, validation/400, NotFound/404,
 * NoSuchKey, ResourceNotFound, PreconditionFailed/412, nor programming errors (TypeError and the
 * like). An I/O error that says nothing of itself (no status, no known name: a dropped socket, a
 * Redis command timeout) is retried: the attempts bound it.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof BrewstreamError) return error.retriable;
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
