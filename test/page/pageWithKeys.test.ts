// The operators' page with API keys set, over a registry of 1,000 versions (months of retrains),
// in Chromium: the key moves into the session cookie; the page's reads and actions work on it
// while the API's state-changing routes still take only the header; the first load stays under
// 1 MB; the models chart draws every version GET /models returned.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LayersModel } from '@tensorflow/tfjs';
import { s3Client } from '../../lib/aws.js';
import { publishModel, tinyModel } from '../server/models.js';
import { inBrowser, noChromium } from '../support/browser.js';
import { seedVersions } from '../support/seedVersions.js';
import { startServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';

const KEY = 'page-key-0123456789abcdef';
let server: TestServer;
let s3: S3Client;
let model: LayersModel;
let champion: string;

before(async () => {
  server = await startServer({ env: { API_KEYS: KEY, CHAMPION_POLL_MS: '300' } });
  s3 = s3Client(server.config);
  await seedVersions(s3, server.config.buckets.models, 999, Date.now() - 60_000);
  model = tinyModel(server.tf, 5);
  champion = await publishModel(s3, server.config.buckets.models, model);
  await until('the champion served', async () => {
    const ready = (await (await fetch(`${server.url}/ready`)).json()) as { model: string | null };
    return ready.model === champion;
  });
});

after(async () => {
  model?.dispose();
  s3?.destroy();
  await server?.close();
});

test('without a key the page and its actions refuse; the session opens them, and only them', {
  skip: noChromium,
  timeout: 120_000,
}, async () => {
  const base = server.url;
  assert.equal((await fetch(`${base}/`)).status, 401);
  assert.equal(
    (await fetch(`${base}/page/retrain`, { method: 'POST', headers: { origin: base } })).status,
    401,
  );

  await inBrowser(base, async ({ page, context, errors, foreign, bytes, screenshot }) => {
    await page.goto(`${base}/?api_key=${KEY}`);
    assert.equal(new URL(page.url()).search, '', 'the key leaves the URL');
    const cookie = (await context.cookies()).find((c) => c.name === 'brewstream_session');
    assert.ok(
      cookie?.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/',
      JSON.stringify(cookie),
    );

    // The models chart: one dot per version on the page of GET /models the page asked for.
    const listed = (await (await fetch(`${base}/models?limit=100`)).json()) as {
      total: number;
      models: Array<{ version: string; promoted: boolean; reason: string }>;
    };
    assert.equal(listed.total, 1000);
    const dots = page.locator('#models-chart g[aria-description="test MAE"] circle');
    await until('the models chart drawn', async () => (await dots.count()) === listed.models.length, 30_000);
    // Promoted versions are ringed: as many rings as the API says were promoted.
    const rings = await page.locator('#models-chart g[aria-description="promoted"] circle').count();
    assert.equal(rings, listed.models.filter((m) => m.promoted).length);
    // The reason for each decision is on hover (an SVG title).
    const titles = await dots.evaluateAll((circles) =>
      circles.map((c) => c.querySelector('title')?.textContent ?? ''),
    );
    assert.deepEqual(
      titles.map((t) => t.split('\n').at(-1)).sort(),
      listed.models.map((m) => m.reason).sort(),
    );
    await page.waitForLoadState('networkidle');
    const firstLoad = await bytes();
    assert.ok(firstLoad < 1024 * 1024, `first load ${firstLoad} bytes`);
    console.log(JSON.stringify({ firstLoadBytes: firstLoad, versions: listed.total }));

    // The form predicts with the session, as POST /predict does with the key.
    await page.fill('input[name=abv]', '6.1');
    await page.fill('input[name=target_og]', '1058');
    await page.click('#predict-form button[type=submit]');
    const result = page.locator('#predict-result');
    await until(
      'a prediction shown',
      async () => ((await result.getAttribute('data-ibu')) ?? '') !== '',
      10_000,
    );
    const direct = (await (
      await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY },
        body: JSON.stringify({ abv: 6.1, target_og: 1058, target_fg: 1012, ebc: 20, ph: 4.4 }),
      })
    ).json()) as { ibu: number; bitterness: string };
    assert.equal(Number(await result.getAttribute('data-ibu')), direct.ibu);
    assert.match((await result.textContent()) ?? '', new RegExp(direct.bitterness));

    // The session works where the page acts, and nowhere else.
    const session = `brewstream_session=${cookie.value}`;
    const withSession = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { cookie: session, ...init.headers } });
    const queued = await withSession('/page/retrain', {
      method: 'POST',
      headers: { origin: base, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(queued.status, 202, await queued.clone().text());
    const { id } = (await queued.json()) as { id: string };
    assert.equal((await withSession(`/page/retrain/${id}`)).status, 200);
    assert.equal(
      (
        await withSession('/retrain', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
      401,
    );
    assert.equal((await withSession(`/retrain/${id}`)).status, 401);
    // A change from another page, or without any Origin, is refused even with the session.
    const foreignPost = await withSession('/page/retrain', {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(foreignPost.status, 403);
    const noOrigin = await withSession('/page/retrain', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(noOrigin.status, 403);

    await screenshot('page-with-keys-1000-versions');
    assert.deepEqual(errors, []);
    assert.deepEqual(foreign, []);
  });
});
