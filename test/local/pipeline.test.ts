// End to end, through `npm start` with its own ports, data directory, Redis and namespace: the
// producer's replay -> the cleaned consumer -> the first automatic retrain -> promotion -> the
// server serves it and start.js prints its banner; then a second batch of new beers (new ids)
// -> a second automatic retrain whose decision is recorded in the registry. Predictions are
// requested all along, four a second, and none fails. Requests before the first 200 answer 503
// (no model yet) or find no listener; those are expected and not counted.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { S3RVER_CREDENTIALS } from '../../local/s3StandIn.js';
import { type LocalStack, startLocalStack } from '../support/localStack.js';
import { sleep, until, waitFor } from '../support/wait.js';

const brewstream = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'bin',
  'brewstream.js',
);
const SECOND_BATCH = 120;

interface Version {
  version: string;
  promoted: boolean;
  reason: string;
  rows: number;
}
interface Registry {
  champion: string | null;
  serving: string | null;
  models: Version[];
}

/** Four predictions a second until stopped; after the first 200, anything else is a failure. */
function predictForever(baseUrl: string) {
  let stopped = false;
  let served = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        const response = await fetch(`${baseUrl}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ abv: 6.5, target_og: 1060, ebc: 20 }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = await response.text();
        if (response.status === 200) served += 1;
        else if (served > 0) failures.push(`${response.status} ${body}`);
      } catch (error) {
        if (served > 0) failures.push(String(error));
      }
      await sleep(Math.max(0, 250 - (Date.now() - started)));
    }
  })();
  return {
    served: () => served,
    failures,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe('the pipeline end to end under npm start', () => {
  let stack: LocalStack;
  let predictions: ReturnType<typeof predictForever>;

  before(async () => {
    stack = await startLocalStack();
    predictions = predictForever(stack.baseUrl);
    await stack.up();
  });

  after(async () => {
    await predictions?.stop();
    await stack?.cleanup();
  });

  const registry = async (): Promise<Registry> =>
    (await (await fetch(`${stack.baseUrl}/models`)).json()) as Registry;
  /** Rows in the cleaned table (one per beer id). */
  const tableRows = async () =>
    ((await (await fetch(`${stack.baseUrl}/table?limit=1`)).json()) as { total: number }).total;

  it('serves the first automatically trained model and prints the banner once', async () => {
    const banner = await stack.waitForLine(
      (line) => line.includes('first prediction served'),
      'banner',
      300_000,
    );
    assert.match(banner, /first prediction served \d+(\.\d)? s after start/);
    const text = stack.lines.join('\n');
    assert.equal(text.split('brewstream is serving predictions').length - 1, 1, 'the banner is printed once');
    for (const route of ['', '/docs', '/admin/queues']) {
      assert.ok(text.includes(`${stack.baseUrl}${route}\n`), `the banner shows ${stack.baseUrl}${route}`);
      assert.equal((await fetch(`${stack.baseUrl}${route || '/health'}`)).status, 200, `${route} answers`);
    }
    const curlLine = stack.lines.find((line) => line.includes('curl '));
    assert.ok(curlLine, 'the banner shows a curl for /predict');
    const curl = curlLine.slice(curlLine.indexOf('curl '));
    // The exact command a newcomer would paste, run by a shell.
    const { stdout } = await promisify(execFile)('sh', ['-c', curl]);
    const answer = JSON.parse(stdout) as { ibu: unknown; bitterness: unknown; model: unknown };
    assert.equal(typeof answer.ibu, 'number', stdout);
    assert.equal(typeof answer.bitterness, 'string', stdout);

    const first = await registry();
    assert.ok(first.models.length >= 1);
    // Newest first: the oldest version, the first model, is the last.
    assert.equal(first.models.at(-1)?.promoted, true, 'the first model beats the baseline');
    assert.equal(answer.model, first.serving);
    assert.equal(first.serving, first.champion);
  });

  it('retrains automatically on a second batch of new beers and records the decision', async () => {
    // The replay is cleaned in full (the first model may have been trained on one shard's batch, and
    // a retrain on the rest may still run: the new beers queue one more behind it).
    await waitFor(
      (rows) => `the cleaned table to hold the 325 replayed beers (it held ${rows})`,
      tableRows,
      (rows) => rows === 325,
      60_000,
      500,
    );
    const rowsBefore = 325;
    const servedBefore = predictions.served();

    const producer = spawn(
      process.execPath,
      [brewstream, 'producer', '--rate', '1000', '--count', String(SECOND_BATCH), '--distinct-ids'],
      {
        env: {
          ...stack.env,
          ...S3RVER_CREDENTIALS,
          AWS_ENDPOINT_URL_KINESIS: `http://127.0.0.1:${stack.env.KINESIS_PORT}`,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const code = await new Promise((resolve) => producer.once('exit', resolve));
    assert.equal(code, 0, 'the second batch was put');

    // The new beers land on both shards in a batch or two each, so one retrain or more reads them;
    // the last reads all of them. Every one records its decision with the reason.
    const retrains = await waitFor(
      (seen) =>
        `a retrain on all ${SECOND_BATCH} new beers (${seen.map((m) => m.rows).join(', ')} rows):\n${stack.lines.slice(-20).join('\n')}`,
      async () => (await registry()).models.filter((model) => model.rows > rowsBefore),
      (seen) => seen.some((model) => model.rows === rowsBefore + SECOND_BATCH),
      300_000,
      1000,
    );
    for (const retrain of retrains) {
      assert.equal(typeof retrain.promoted, 'boolean');
      assert.match(retrain.reason, /^(promoted|not promoted)/, 'the decision is recorded with its reason');
    }
    const after = await registry();
    assert.ok(after.models.length >= 2);
    const promoted = retrains.find((model) => model.promoted); // newest first
    if (promoted) {
      await until(
        'the server to swap to the promoted version',
        async () => (await registry()).serving === promoted.version,
        30_000,
        500,
      );
    }

    await predictions.stop();
    assert.ok(predictions.served() > servedBefore + 10, 'predictions kept being served during the retrain');
    assert.deepEqual(predictions.failures, [], 'no prediction failed after the first one was served');
  });
});
