// How many PutRecords requests the producer makes while Kinesis fails: PRODUCER_MAX_ATTEMPTS in all
// for a retryable failure (the SDK's own retries are off, docs/design.md "Retries"), one for an
// error retrying cannot fix. Counted where they arrive, at an HTTP server standing in for Kinesis.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../lib/config.js';
import { toEntry } from '../../producer/batches.js';
import { producerContext } from '../../producer/produce.js';
import { putAll } from '../../producer/putRecords.js';
import { capturingLogger } from '../support/capture.js';

describe('PutRecords against a Kinesis that fails every call', () => {
  let server: Server;
  let answer: { status: number; type: string } = { status: 500, type: 'InternalFailure' };
  let requests = 0;

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        requests += 1;
        response
          .writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify({ __type: answer.type, message: `${answer.type} from the test` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const putTwo = async () => {
    requests = 0;
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_KINESIS: endpoint,
    };
    Object.assign(process.env, env); // the SDK reads its endpoint and credentials from here
    const { logger, lines } = capturingLogger();
    const ctx = producerContext(loadConfig({ ...process.env, ...env, PRODUCER_MAX_ATTEMPTS: '4' }), logger);
    const outcome = await putAll(ctx.kinesis, [toEntry({ id: 1 }), toEntry({ id: 2 })], {
      streamName: 'beers',
      maxAttempts: ctx.config.producer.maxAttempts,
      baseBackoffMs: 1,
      logger,
    });
    ctx.kinesis.destroy();
    return { outcome, lines };
  };

  it('a 500 is retried: PRODUCER_MAX_ATTEMPTS requests in all, then both records are reported failed', async () => {
    answer = { status: 500, type: 'InternalFailure' };
    const { outcome, lines } = await putTwo();
    assert.equal(requests, 4);
    assert.deepEqual(outcome.failed.map((f) => f.partitionKey).sort(), ['1', '2']);
    assert.equal(lines.filter((line) => line.msg === 'record not put after retries').length, 2);
  });

  for (const type of ['AccessDeniedException', 'ResourceNotFoundException', 'ValidationException']) {
    it(`${type} is not retried: one request, both records reported failed with it`, async () => {
      answer = { status: 400, type };
      const { outcome } = await putTwo();
      assert.equal(requests, 1);
      assert.equal(outcome.failed.length, 2);
      assert.match(outcome.failed[0]?.error ?? '', new RegExp(type));
    });
  }
});
