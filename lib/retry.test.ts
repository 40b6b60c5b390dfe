import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAbort, isRetryable } from './errors.js';
import { backoffDelay, retry } from './retry.js';

const noSleep = async () => {};
/** An error shaped as the AWS SDK v3 throws it. */
const sdkError = (name: string, status?: number) =>
  Object.assign(new Error(`${name} from the service`), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });

describe('backoffDelay', () => {
  const backoff = { baseMs: 100, capMs: 5000 };
  it('doubles the ceiling each retry up to the cap, and draws the wait from [0, ceiling)', () => {
    const top = () => 0.999_999;
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 10].map((r) => backoffDelay(r, backoff, top)),
      [99, 199, 399, 799, 1599, 3199, 4999, 4999],
    );
    assert.equal(
      backoffDelay(3, backoff, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(3, backoff, () => 0.5),
      400,
    );
  });
  it('without jitter waits the ceiling itself', () => {
    assert.deepEqual(
      [0, 1, 5, 9].map((r) => backoffDelay(r, { baseMs: 1000, capMs: 30_000, jitter: 'none' })),
      [1000, 2000, 30_000, 30_000],
    );
  });
});

describe('isRetryable', () => {
  it('retries throttling, 5xx, timeouts, connection errors and S3 409 ConditionalRequestConflict', () => {
    for (const error of [
      sdkError('ProvisionedThroughputExceededException', 400),
      sdkError('LimitExceededException', 400),
      sdkError('SlowDown', 503),
      sdkError('InternalError', 500),
      sdkError('Unknown', 502),
      sdkError('ConditionalRequestConflict', 409),
      sdkError('TimeoutError'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      new Error('Command timed out'), // ioredis, no status
    ]) {
      assert.equal(isRetryable(error), true, `${(error as Error).name} ${(error as Error).message}`);
    }
  });
  it('does not retry access, validation, not-found or precondition errors, nor programming errors', () => {
    for (const error of [
      sdkError('AccessDenied', 403),
      sdkError('AccessDeniedException', 400),
      sdkError('Unknown', 403),
      sdkError('ValidationException', 400),
      sdkError('InvalidArgument', 400),
      sdkError('NotFound', 404),
      sdkError('NoSuchKey', 404),
      sdkError('ResourceNotFoundException', 400),
      sdkError('PreconditionFailed', 412),
      new TypeError('x is not a function'),
      'a string thrown',
      undefined,
    ]) {
      assert.equal(isRetryable(error), false, String((error as Error)?.name ?? error));
    }
  });
});

describe('retry', () => {
  it('retries a retryable failure and returns the first success, counting attempts from 1', async () => {
    const seen: number[] = [];
    const waits: number[] = [];
    const result = await retry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw sdkError('SlowDown', 503);
        return 'done';
      },
      {
        attempts: 5,
        baseMs: 100,
        capMs: 1000,
        sleep: noSleep,
        random: () => 0.5,
        onRetry: (_e, _a, ms) => waits.push(ms),
      },
    );
    assert.equal(result, 'done');
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(waits, [50, 100]);
  });

  it('makes exactly `attempts` attempts, then throws the last error', async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls += 1;
          throw sdkError('InternalError', 500);
        },
        { attempts: 4, baseMs: 1, capMs: 1, sleep: noSleep },
      ),
      { name: 'InternalError' },
    );
    assert.equal(calls, 4);
  });

  it('throws a fatal error at once', async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls += 1;
          throw sdkError('AccessDenied', 403);
        },
        { attempts: Number.POSITIVE_INFINITY, baseMs: 1, capMs: 1, sleep: noSleep },
      ),
      { name: 'AccessDenied' },
    );
    assert.equal(calls, 1);
  });

  it('takes its own classification', async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls += 1;
          throw new TypeError('crashed');
        },
        { attempts: 3, baseMs: 1, capMs: 1, sleep: noSleep, retryable: () => true },
      ),
      TypeError,
    );
    assert.equal(calls, 3);
  });

  it('an abort ends an hour-long wait at once with an AbortError, and no attempt follows', {
    timeout: 5000,
  }, async () => {
    const controller = new AbortController();
    let calls = 0;
    const running = retry(
      async () => {
        calls += 1;
        throw sdkError('ServiceUnavailable', 503);
      },
      {
        attempts: Number.POSITIVE_INFINITY,
        baseMs: 3_600_000,
        capMs: 3_600_000,
        jitter: 'none',
        signal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(running, (error) => isAbort(error));
    assert.equal(calls, 1);
  });

  it('does not start when already aborted', async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls += 1;
        },
        { attempts: 3, baseMs: 1, capMs: 1, signal: AbortSignal.abort() },
      ),
      (error) => isAbort(error),
    );
    assert.equal(calls, 0);
  });
});
