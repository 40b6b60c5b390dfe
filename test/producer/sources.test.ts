// The live Punk API source against a real local HTTP server that answers well and badly.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { kinesisClient } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { readStream } from '../../local/readStream.js';
import { tick } from '../../producer/produce.js';
import { bundledBeers, fetchLiveBeers } from '../../producer/sources.js';
import { capturingLogger } from '../support/capture.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const routes: Record<string, { status: number; body: string }> = {
  '/good': { status: 200, body: JSON.stringify([{ id: 1, name: 'Buzz', abv: 4.5 }]) },
  '/error': { status: 500, body: '{"message":"boom"}' },
  '/html': { status: 200, body: '<html>not json</html>' },
  '/no-id': { status: 200, body: JSON.stringify([{ name: 'Nameless', abv: 5 }]) },
  '/mixed': {
    status: 200,
    body: JSON.stringify([{ id: 2, name: 'Ok' }, 'a string', null, { id: -3 }, { id: '4' }]),
  },
  '/object': { status: 200, body: JSON.stringify({ id: 5, name: 'Single' }) },
};

describe('live Punk API source', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      const route = routes[req.url ?? ''] ?? { status: 404, body: '{}' };
      res.writeHead(route.status, { 'content-type': 'application/json' }).end(route.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('accepts a JSON array of beers, and a single beer object', async () => {
    assert.deepEqual((await fetchLiveBeers(`${base}/good`)).beers, [{ id: 1, name: 'Buzz', abv: 4.5 }]);
    assert.deepEqual((await fetchLiveBeers(`${base}/object`)).beers, [{ id: 5, name: 'Single' }]);
  });

  it('skips HTTP errors, non-JSON bodies, id-less beers and non-objects with a reason', async () => {
    const error = await fetchLiveBeers(`${base}/error`);
    assert.deepEqual(error.beers, []);
    assert.match(error.skipped[0]?.reason ?? '', /answered HTTP 500/);
    const html = await fetchLiveBeers(`${base}/html`);
    assert.match(html.skipped[0]?.reason ?? '', /not JSON/);
    const noId = await fetchLiveBeers(`${base}/no-id`);
    assert.match(noId.skipped[0]?.reason ?? '', /beer without a positive integer id \(id: missing\)/);
    const mixed = await fetchLiveBeers(`${base}/mixed`);
    assert.deepEqual(
      mixed.beers.map((beer) => beer.id),
      [2],
    );
    assert.deepEqual(
      mixed.skipped.map((s) => s.reason),
      [
        'not a beer object: got string',
        'not a beer object: got null',
        'beer without a positive integer id (id: -3)',
        'beer without a positive integer id (id: "4")',
      ],
    );
    const refused = await fetchLiveBeers('http://127.0.0.1:1/v2/beers/random');
    assert.match(refused.skipped[0]?.reason ?? '', /request to .* failed/);
  });

  it('the bundled data set holds the 325 Punk API beers', () => {
    const { beers, skipped } = bundledBeers();
    assert.equal(beers.length, 325);
    assert.equal(new Set(beers.map((beer) => beer.id)).size, 325);
    assert.deepEqual(skipped, []);
  });

  describe('a scheduled tick', () => {
    let stack: TestStack;
    before(async () => {
      stack = await startTestStack({ shards: 1 });
    });
    after(() => stack.close());

    it('logs bad source data with its reason and puts only good beers on the stream', async () => {
      const kinesis = kinesisClient(stack.config);
      const { logger, lines } = capturingLogger();
      for (const route of ['/mixed', '/error', '/html', '/no-id']) {
        const config = loadConfig({ ...stack.env, PUNK_SOURCE: 'api', PUNK_API_URL: `${base}${route}` });
        await tick({ config, kinesis, logger });
      }
      const shards = await readStream(kinesis, stack.config.streamName);
      assert.deepEqual([...(shards[0]?.ids ?? [])], ['2']);
      assert.equal(shards[0]?.records, 1);
      const reasons = lines
        .filter((line) => line.msg === 'skipped bad source data')
        .map((line) => String(line.reason));
      assert.equal(reasons.length, 7);
      assert.ok(reasons.some((reason) => /HTTP 500/.test(reason)));
      assert.ok(reasons.some((reason) => /not JSON/.test(reason)));
      kinesis.destroy();
    });
  });
});
