// The server's request line, which the 5xx alarms count (infra/constructs/monitoring.ts): the
// error code travels with it, so the expected 503 "not_ready" before the first model and the 503
// "unavailable" of a dependency outage are told apart from a fault ("internal" and the like).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadTf } from '../../lib/tfjs.js';
import { buildApp } from '../../server/app.js';
import { capturingLogger } from '../support/capture.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let app: FastifyInstance;
const { logger, lines } = capturingLogger();
const requestLine = (url: string) => lines.find((l) => l.msg === 'request' && l.url === url);

before(async () => {
  stack = await startTestStack({ stream: false });
  const { tf } = await loadTf('cpu');
  app = await buildApp({
    config: stack.config,
    tf,
    logger,
    extraRoutes: (instance) => {
      instance.get('/broken', async () => {
        throw new Error('something unexpected');
      });
    },
  });
  await app.ready();
  // The registry is read (and names no champion) before predictions are tried.
  const deadline = Date.now() + 10_000;
  while ((await app.inject({ method: 'GET', url: '/ready' })).statusCode !== 200 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
});

after(async () => {
  await app?.close();
  await stack?.close();
});

describe('request log line', () => {
  test('the 503 before the first model carries error "not_ready"', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/predict',
      payload: { abv: 5, target_og: 1050 },
    });
    assert.equal(response.statusCode, 503);
    const line = requestLine('/predict');
    assert.ok(line);
    assert.equal(line.status, 503);
    assert.equal(line.error, 'not_ready');
  });

  test('an unhandled 500 carries the code "internal", which the alarm counts as a fault', async () => {
    const response = await app.inject({ method: 'GET', url: '/broken' });
    assert.equal(response.statusCode, 500);
    assert.deepEqual(response.json(), { error: 'internal', message: 'internal server error' });
    const line = requestLine('/broken');
    assert.ok(line);
    assert.equal(line.status, 500);
    assert.equal(line.error, 'internal');
  });

  test('a successful answer has no error field', async () => {
    await app.inject({ method: 'GET', url: '/health' });
    const line = requestLine('/health');
    assert.equal(line?.status, 200);
    assert.equal(line && 'error' in line, false);
  });
});
