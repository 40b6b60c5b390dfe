// putObjectIfAbsent against a real S3Client whose HTTP handler answers from a script instead of the
// network: the SDK builds, signs and parses exactly as it would against S3, so these tests pin how
// S3's 412 and 409 answers come out of the SDK and what the helper makes of them.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { DependencyError, isRetryable } from './errors.js';
import { retry } from './retry.js';
import { conditionalPutFailure, putObjectIfAbsent } from './s3.js';

// As lib/aws.ts does for every role: the SDK's Node 20 deprecation notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
}

const errorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>r</RequestId></Error>`;

/** A client whose every request is answered by the next scripted [status, body]. */
function scriptedClient(answers: Array<[number, string]>): { s3: S3Client; seen: Seen[] } {
  const seen: Seen[] = [];
  const s3 = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: 'http://s3.test.invalid',
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: {
      async handle(request: { method: string; path: string; headers: Record<string, string> }) {
        seen.push({ method: request.method, path: request.path, headers: request.headers });
        const [statusCode, body] = answers.shift() ?? [500, errorXml('InternalError', 'script ran out')];
        return {
          response: {
            statusCode,
            headers: body ? { 'content-type': 'application/xml' } : {},
            body: Readable.from([Buffer.from(body)]),
          },
        };
      },
    },
  });
  return { s3, seen };
}

const noSleep = async () => {};

describe('putObjectIfAbsent', () => {
  it('sends one PutObject with If-None-Match: * and the metadata, and answers written on 200', async () => {
    const { s3, seen } = scriptedClient([[200, '']]);
    const outcome = await putObjectIfAbsent(s3, 'b', 'rows/k.csv', 'a,b\r\n', 'text/csv', {
      'last-sequence-number': '42',
    });
    assert.equal(outcome, 'written');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.method, 'PUT');
    assert.equal(seen[0]?.path, '/b/rows/k.csv');
    assert.equal(seen[0]?.headers['if-none-match'], '*');
    assert.equal(seen[0]?.headers['x-amz-meta-last-sequence-number'], '42');
  });

  it("answers exists on S3's 412 PreconditionFailed, without retrying", async () => {
    const { s3, seen } = scriptedClient([
      [412, errorXml('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold')],
    ]);
    assert.equal(await putObjectIfAbsent(s3, 'b', 'k', 'x', 'text/plain'), 'exists');
    assert.equal(seen.length, 1);
  });

  it('throws a 409 ConditionalRequestConflict after its one PUT, as an error the retry policy retries', async () => {
    const { s3, seen } = scriptedClient([
      [409, errorXml('ConditionalRequestConflict', 'A conflicting conditional operation is in progress')],
    ]);
    const error = await putObjectIfAbsent(s3, 'b', 'k', 'x', 'text/plain').catch((e: unknown) => e);
    // Wrapped to name the object, its cause kept: the SDK's error, and its retryability.
    assert.ok(error instanceof DependencyError);
    assert.equal(error.dependency, 'S3');
    assert.equal(error.code, 'ConditionalRequestConflict');
    assert.match(
      error.message,
      /^S3: PUT \(if absent\) s3:\/\/b\/k: ConditionalRequestConflict \(HTTP 409\)$/,
    );
    assert.equal((error.cause as Error).name, 'ConditionalRequestConflict');
    assert.equal(isRetryable(error), true);
    assert.equal(seen.length, 1);
  });

  it('under the retry policy, a 409 is sent again until the write is decided (412 here)', async () => {
    const { s3, seen } = scriptedClient([
      [409, errorXml('ConditionalRequestConflict', 'A conflicting conditional operation is in progress')],
      [409, errorXml('ConditionalRequestConflict', 'A conflicting conditional operation is in progress')],
      [412, errorXml('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold')],
    ]);
    const outcome = await retry(() => putObjectIfAbsent(s3, 'b', 'k', 'x', 'text/plain'), {
      attempts: 5,
      baseMs: 1,
      capMs: 1,
      sleep: noSleep,
    });
    assert.equal(outcome, 'exists');
    assert.equal(seen.length, 3);
  });

  it('throws any other failure at once (a 403 is not "exists")', async () => {
    const { s3, seen } = scriptedClient([[403, errorXml('AccessDenied', 'Access Denied')]]);
    await assert.rejects(putObjectIfAbsent(s3, 'b', 'k', 'x', 'text/plain'), (error: unknown) => {
      assert.ok(error instanceof DependencyError);
      assert.equal(error.code, 'AccessDenied');
      assert.equal(error.status, 403);
      assert.equal(isRetryable(error), false);
      return true;
    });
    assert.equal(seen.length, 1);
  });
});

describe('conditionalPutFailure', () => {
  it('reads the error name, or the HTTP status when the name is generic', () => {
    assert.equal(conditionalPutFailure({ name: 'PreconditionFailed' }), 'exists');
    assert.equal(conditionalPutFailure({ name: 'Unknown', $metadata: { httpStatusCode: 412 } }), 'exists');
    assert.equal(conditionalPutFailure({ name: 'ConditionalRequestConflict' }), 'conflict');
    assert.equal(conditionalPutFailure({ name: 'Unknown', $metadata: { httpStatusCode: 409 } }), 'conflict');
    assert.equal(
      conditionalPutFailure({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }),
      'other',
    );
    assert.equal(conditionalPutFailure(new Error('socket hang up')), 'other');
    assert.equal(conditionalPutFailure(undefined), 'other');
  });
});
