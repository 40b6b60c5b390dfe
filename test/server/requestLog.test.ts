// The server's request line, which the 5xx alarms count (infra/constructs/monitoring.ts): the
// error code travels with it, so the expected 503 "not_ready" before the first model and the 503
// "unavailable" of a dependency outage are told apart from a fault ("internal" and the like).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
const requestLine = (url: string) => server.lines.find((l) => l.msg === 'request' && l.url === url);

before(async () => {
  server = await startServer({
    backend: 'cpu',
    capture: true,
    extraRoutes: (instance) => {
      instance.get('/broken', async () => {
        throw new Error('something unexpected');
      });
    },
    // The registry is read (and names no champion) before predictions are tried.
    readyWithinMs: 10_000,
  });
});

after(async () => {
  await server?.close();
});

describe('request log line', () => {
  test('the 503 before the first model carries error "not_ready"', async () => {
    const response = await server.app.inject({
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
    const response = await server.app.inject({ method: 'GET', url: '/broken' });
    assert.equal(response.statusCode, 500);
    assert.deepEqual(response.json(), { error: 'internal', message: 'internal server error' });
    const line = requestLine('/broken');
    assert.ok(line);
    assert.equal(line.status, 500);
    assert.equal(line.error, 'internal');
  });

  test('a successful answer has no error field', async () => {
    await server.app.inject({ method: 'GET', url: '/health' });
    const line = requestLine('/health');
    assert.equal(line?.status, 200);
    assert.equal(line && 'error' in line, false);
  });
});
