// champion.json as S3 answers it on AWS: 404 (NoSuchKey) when it does not exist and the caller may
// list the bucket, 403 (AccessDenied) when the caller may not, whether or not it exists. Only the
// 404 means "no champion"; a 403 is a configuration error that keeps the server not ready and says
// why. The S3 side is a real HTTP listener answering with S3's own error documents.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { S3AccessDeniedError } from '../../lib/errors.js';
import { modelRegistry, registryKeys } from '../../lib/modelRegistry.js';
import { startServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';

const CHAMPION_KEY = registryKeys.champion;

// S3's error documents for a GET, as it sends them.
const errorDocument = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>x</HostId></Error>`;

let s3Listener: Server;
let endpoint: string;
const requests: string[] = [];

before(async () => {
  s3Listener = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const [bucket] = (request.url ?? '').slice(1).split('/');
    // "denied": a role without s3:ListBucket asking for a key that does not exist.
    const [status, code, message] =
      bucket === 'denied'
        ? [403, 'AccessDenied', 'Access Denied']
        : [404, 'NoSuchKey', 'The specified key does not exist.'];
    response.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': '4442587FB7D0A2F9' });
    response.end(errorDocument(code, message));
  });
  await new Promise<void>((resolve) => s3Listener.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(s3Listener.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => s3Listener.close(resolve));
});

function client(): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

describe('reading champion.json', () => {
  test('404 NoSuchKey is "no champion yet"', async () => {
    const s3 = client();
    assert.equal(await modelRegistry(s3, 'models').champion(), undefined);
    assert.ok(
      requests.some((r) => r.startsWith(`GET /models/${CHAMPION_KEY}?`)),
      requests.join(', '),
    );
    s3.destroy();
  });

  test('403 AccessDenied is a configuration error naming the key and the likely cause', async () => {
    const s3 = client();
    await assert.rejects(modelRegistry(s3, 'denied').champion(), (error: Error) => {
      assert.ok(error instanceof S3AccessDeniedError);
      assert.match(error.message, new RegExp(`^s3://denied/${CHAMPION_KEY}: access denied \\(HTTP 403\\)`));
      assert.match(error.message, /s3:ListBucket/);
      return true;
    });
    s3.destroy();
  });

  test('a server that gets 403 stays not ready (503 loading) and logs a configuration error', async () => {
    const id = randomBytes(4).toString('hex');
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_S3: endpoint,
      MODELS_BUCKET: 'denied',
      QUEUE_PREFIX: `test-${id}`,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      CHAMPION_POLL_MS: '60000',
    };
    let server: TestServer | undefined;
    try {
      // No test stack: S3 is this file's listener.
      server = await startServer({ stack: false, env, backend: 'cpu', capture: true });
      const { lines } = server;
      await until(
        'a configuration error logged',
        async () => lines.some((l) => l.configurationError === true),
        10_000,
      );
      // Redis is connected to in the background, and on a busy machine after S3 has answered.
      const app = server.app;
      await until('the server connected to Redis', async () => app.redisUp(), 10_000);
      const ready = await server.app.inject({ method: 'GET', url: '/ready' });
      assert.equal(ready.statusCode, 503);
      // /ready also reports its dependencies (docs/design.md "HTTP API"): the registry read failed.
      assert.deepEqual(ready.json(), { status: 'loading', model: null, redis: 'up', s3: 'error' });
      const line = lines.find((l) => l.configurationError === true);
      assert.ok(line, 'a configuration error is logged');
      assert.equal(line.level, 50);
      assert.match(String(line.msg), /champion\.json: access denied, a configuration error/);
      assert.match(
        String((line.err as { message?: string }).message),
        /s3:\/\/denied\/models\/ibu\/champion\.json/,
      );
    } finally {
      await server?.close();
    }
  });
});
