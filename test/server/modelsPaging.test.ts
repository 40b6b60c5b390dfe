// GET /models over a registry of many versions: pages newest first through a cursor, each version
// summarised from what was registered, never its training history.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../lib/aws.js';
import { type SeededVersion, seedVersions } from '../support/seedVersions.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let s3: S3Client;
let seeded: SeededVersion[];

before(async () => {
  server = await startServer();
  s3 = s3Client(server.config);
  seeded = await seedVersions(s3, server.config.buckets.models, 120, Date.now());
});

after(async () => {
  s3?.destroy();
  await server?.close();
});

interface Page {
  total: number;
  next: string | null;
  models: Array<Record<string, unknown> & { version: string }>;
}

const page = async (query: string) => {
  const response = await fetch(`${server.url}/models${query}`);
  return { status: response.status, text: await response.text() };
};

test('pages walk every version once, newest first, and end with no cursor', async () => {
  const walked: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const { status, text } = await page(`?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(status, 200, text);
    const body = JSON.parse(text) as Page;
    assert.equal(body.total, 120);
    walked.push(...body.models.map((m) => m.version));
    cursor = body.next;
    pages += 1;
  } while (cursor !== null && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual(walked, seeded.map((s) => s.version).reverse());
});

test('a summary carries the figures and the decision, not the history or the test split', async () => {
  const { text } = await page('?limit=3');
  const body = JSON.parse(text) as Page;
  const newest = seeded[seeded.length - 1] as SeededVersion;
  const first = body.models[0];
  assert.ok(first);
  assert.equal(first.version, newest.version);
  assert.equal(first.mae, newest.mae);
  assert.deepEqual(first.maeCi95, [newest.mae - 1, newest.mae + 1]);
  assert.deepEqual(first.baselines, { linear: 25, median: 30 });
  assert.equal(first.promoted, newest.promoted);
  assert.match(String(first.reason), new RegExp(newest.version));
  assert.equal(first.epochs, 40);
  assert.ok(!text.includes('val_loss') && !text.includes('predicted'), 'no history, no test split');
  // The default page is 50 versions, well under what every history would weigh.
  const defaults = await page('');
  assert.equal((JSON.parse(defaults.text) as Page).models.length, 50);
  assert.ok(defaults.text.length < 30_000, `${defaults.text.length} bytes`);
});

test('a bad limit or cursor is a 400 naming it', async () => {
  for (const [query, field] of [
    ['?limit=0', 'limit'],
    ['?limit=1001', 'limit'],
    ['?limit=ten', 'limit'],
    ['?cursor=latest', 'cursor'],
  ] as const) {
    const { status, text } = await page(query);
    assert.equal(status, 400, `${query}: ${text}`);
    assert.equal((JSON.parse(text) as { field?: string }).field, field, `${query}: ${text}`);
  }
});
