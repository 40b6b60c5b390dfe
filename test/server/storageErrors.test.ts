// What the API answers when its storage fails (docs/design.md "HTTP API", errors): S3 unreachable
// is a 503 naming S3 and the object, a stored document that cannot be used a 502 naming its key;
// neither is the 500 of a bug, nor carries a stack. Real listener, real S3 stand-in (or a port
// nobody listens on).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { s3Client } from '../../lib/aws.js';
import { newVersion, registryKeys } from '../../lib/modelRegistry.js';
import { putObject } from '../../lib/s3.js';
import { startServer, type TestServer } from '../support/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/** A loopback port that refuses connections: one that was free a moment ago. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let stack: TestStack;
const servers: TestServer[] = [];

async function serve(env: Record<string, string>): Promise<string> {
  const server = await startServer({ stack, env, backend: 'cpu', capture: true });
  servers.push(server);
  return server.url;
}

before(async () => {
  stack = await startTestStack({ stream: false });
});

after(async () => {
  for (const server of servers) await server.close();
  await stack.close();
});

describe('storage failures over HTTP', () => {
  test('with S3 unreachable, the registry and table routes answer 503 naming S3 and the object', async () => {
    const base = await serve({ AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await closedPort()}` });
    const { models, cleaned } = stack.config.buckets;
    const expected: Record<string, RegExp> = {
      '/models': new RegExp(
        `^S3 is unavailable: (LIST s3://${models}/models/ibu/|GET s3://${models}/models/ibu/champion\\.json): ECONNREFUSED; retry later$`,
      ),
      '/models/champion': new RegExp(
        `^S3 is unavailable: GET s3://${models}/models/ibu/champion\\.json: ECONNREFUSED; retry later$`,
      ),
      '/table': new RegExp(`^S3 is unavailable: LIST s3://${cleaned}/snapshots/: ECONNREFUSED; retry later$`),
    };
    for (const [path, message] of Object.entries(expected)) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 503, path);
      const body = (await response.json()) as { error: string; message: string };
      assert.equal(body.error, 'unavailable', path);
      assert.match(body.message, message, path);
      assert.ok(!JSON.stringify(body).includes('    at '), `${path}: no stack trace`);
    }
  });

  test('a corrupt metadata document answers 502 naming its key', async () => {
    const base = await serve({});
    const version = newVersion();
    const key = registryKeys.file(version, 'metadata.json');
    const s3 = s3Client(stack.config);
    await putObject(s3, stack.config.buckets.models, key, '{"version": ', 'application/json');
    s3.destroy();
    for (const path of [`/models/${version}`, '/models']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 502, path);
      const body = (await response.json()) as { error: string; message: string };
      assert.equal(body.error, 'invalid_stored_object');
      assert.match(
        body.message,
        new RegExp(`^s3://${stack.config.buckets.models}/${key} cannot be used: not JSON`),
      );
    }
  });
});
