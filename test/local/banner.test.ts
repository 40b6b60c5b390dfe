// The first-model banner against a real listener standing in for the server: while /ready has no
// model it waits (and after the notice time says so, once), then it predicts once itself, with the
// key when predictions need one, and prints the banner once with the model that answered.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { announceFirstModel } from '../../local/banner.js';
import { sleep, until } from '../support/wait.js';

describe('announceFirstModel', () => {
  let server: Server;
  let baseUrl: string;
  let ready = 'no-model';
  const predictions: IncomingMessage[] = [];

  before(async () => {
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url === '/ready') {
        response.end(JSON.stringify({ status: ready }));
      } else if (request.url === '/predict' && request.method === 'POST') {
        predictions.push(request);
        request.resume();
        response.end(JSON.stringify({ ibu: 21.5, bitterness: 'medium', model: 'v-served' }));
      } else {
        response.statusCode = 404;
        response.end('{}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('says there is no model yet, then prints the banner once a prediction is served', async () => {
    const written: string[] = [];
    const served: Array<[string, number]> = [];
    const startedAt = Date.now();
    const stop = announceFirstModel({
      where: { baseUrl, keys: true, predictNeedsKey: true },
      apiKey: 'local-key',
      startedAt,
      noticeAfterMs: 300,
      pollMs: 50,
      write: (text) => written.push(text),
      onServed: (model, ms) => served.push([model, ms]),
    });
    try {
      await until('a notice', async () => written.length > 0, 5000);
      assert.match(
        written[0] as string,
        /no model to serve yet, .* \(the server's \/ready says "no-model"\)/,
      );
      assert.equal(predictions.length, 0, 'no prediction is asked for before /ready has a model');

      ready = 'ready';
      await until('a banner after the model', async () => served.length > 0, 5000);
      await sleep(300); // time for a second banner, were there one
      assert.equal(written.length, 2, 'one notice, then one banner');
      assert.match(
        written[1] as string,
        /serving predictions: model v-served, first prediction served \d+\.\d s after start/,
      );
      assert.equal(predictions.length, 1, 'one prediction, then polling stops');
      assert.equal(predictions[0]?.headers['x-api-key'], 'local-key');
      assert.equal(served[0]?.[0], 'v-served');
      assert.ok((served[0]?.[1] ?? 0) >= 300 && (served[0]?.[1] ?? 0) <= Date.now() - startedAt);
    } finally {
      stop();
    }
  });
});
