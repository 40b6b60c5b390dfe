// The pages in a real browser (Debian's Chromium through playwright-core), under the server's
// security headers (its Content-Security-Policy above all): open the bull-board dashboard at
// /admin/queues with a key once, add a retrain job from the page, and watch a small real BullMQ
// worker complete it; use Swagger UI at /docs; and see that neither page can be framed. Any CSP
// violation the browser reports fails the test.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { UnrecoverableError, Worker } from 'bullmq';
import type { BrowserContext, Page } from 'playwright-core';
import { createBlockingRedis, RETRAIN_QUEUE, type RetrainJobData } from '../../lib/redis.js';
import { releaseRetrainDedup } from '../../lib/retrainQueue.js';
import { launchChromium, noChromium } from '../support/browser.js';
import { startServer, type TestServer } from '../support/server.js';
import { sleep, until, waitFor } from '../support/wait.js';

const KEY = 'dashboard-key-42';
const SCREENSHOT = path.join(os.tmpdir(), 'brewstream-dashboard.png');
const skip = noChromium;

let server: TestServer;
let worker: Worker<RetrainJobData> | undefined;
const workerConnection = createBlockingRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const completed: RetrainJobData[] = [];
let attempts = 0;

before(async () => {
  server = await startServer({ env: { API_KEYS: KEY } });
  // A stand-in for the trainer: releases the dedup id as the real one does, reports progress.
  worker = new Worker<RetrainJobData>(
    RETRAIN_QUEUE,
    async (job) => {
      await releaseRetrainDedup(server.app.retrainQueue);
      attempts += 1;
      // The first run fails for good, so the operator has a failed job to retry from the page.
      if (attempts === 1) throw new UnrecoverableError('first run fails on purpose');
      for (const progress of [25, 50, 100]) {
        await job.updateProgress(progress);
        await sleep(100);
      }
      completed.push(job.data);
      return { version: 'test' };
    },
    { connection: workerConnection, prefix: server.config.queuePrefix },
  );
});

after(async () => {
  await worker?.close();
  await server?.close();
  workerConnection.disconnect();
});

/**
 * A fresh Chromium profile and page for `use`; every message the browser logs about the Content
 * Security Policy is collected, and the test fails on any the page did not expect.
 */
async function inBrowser(
  name: string,
  use: (page: Page, context: BrowserContext, csp: string[]) => Promise<void>,
): Promise<void> {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'brewstream-chromium-'));
  const context = await launchChromium(userDataDir);
  const page = await context.newPage();
  const csp: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) csp.push(message.text());
  });
  try {
    await use(page, context, csp);
  } catch (error) {
    // What the page looked like when it failed, for whoever reads the failure.
    await page
      .screenshot({ path: path.join(os.tmpdir(), `brewstream-${name}-failed.png`), fullPage: true })
      .catch(() => {});
    throw error;
  } finally {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}

test('an operator adds a retrain job from the dashboard, retries it when it fails, and sees it complete', {
  skip,
  timeout: 90_000,
}, async () => {
  const base = server.url;
  await inBrowser('dashboard', async (page, context, csp) => {
    // (Without a key the page answers 401 with a basic-auth challenge: server.test.ts.)
    // The key once in the URL is swapped for an HttpOnly session cookie; the URL loses it.
    await page.goto(`${base}/admin/queues?api_key=${KEY}`);
    assert.equal(new URL(page.url()).search, '');
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.name === 'brewstream_session' && c.httpOnly));

    await page.getByText(`${RETRAIN_QUEUE}`, { exact: false }).first().click();
    // "Add job" sits in the queue's actions menu (the ⋮ button after the status tabs).
    await page.locator('button[aria-haspopup="menu"]').last().click();
    await page
      .getByText(/^add job$/i)
      .first()
      .click({ timeout: 8000 });
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const name = dialog.getByLabel(/job name/i);
    if (await name.count()) await name.fill('retrain');
    await dialog.getByRole('button', { name: /^add$/i }).click();

    // The first run fails: retry it from the failed tab.
    await until(
      'the first run to fail',
      async () => ((await server.app.retrainQueue.getJobCounts('failed')).failed ?? 0) > 0,
      30_000,
    );
    await page.goto(`${base}/admin/queues/queue/${encodeURIComponent(RETRAIN_QUEUE)}?status=failed`);
    await page.getByText('first run fails on purpose').first().waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: /retry all/i }).click();
    await page.getByRole('button', { name: /^confirm$/i }).click();

    // The worker completes it; the page's completed tab shows it.
    await until('the worker to complete the retried job', async () => completed.length > 0, 30_000);
    assert.deepEqual(completed, [{ reason: 'manual' }]);
    assert.equal(attempts, 2);
    await page.goto(`${base}/admin/queues/queue/${encodeURIComponent(RETRAIN_QUEUE)}?status=completed`);
    await page.getByText('100%').first().waitFor({ timeout: 15_000 });
    await page.getByText('"manual"').first().waitFor();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const counts = await server.app.retrainQueue.getJobCounts('completed');
    assert.equal(counts.completed, 1);
    assert.deepEqual(csp, [], 'the dashboard broke its Content-Security-Policy');
  });
});

test('Swagger UI renders and runs a request under the security headers', {
  skip,
  timeout: 60_000,
}, async () => {
  const base = server.url;
  await inBrowser('swagger', async (page, _context, csp) => {
    await page.goto(`${base}/docs/`);
    await page.locator('.swagger-ui .info .title').getByText('brewstream').waitFor({ timeout: 15_000 });
    const predict = page
      .locator('.opblock-post')
      .filter({ has: page.locator('.opblock-summary-path[data-path="/predict"]') });
    await predict.locator('.opblock-summary').click();
    await predict.getByRole('button', { name: /try it out/i }).click();
    await predict.locator('textarea.body-param__text').fill('{"abv": 5, "target_og": 1050}');
    await predict.getByRole('button', { name: /^execute$/i }).click();
    // No model is published here: the server's own answer (503 not_ready) comes back to the page.
    await predict
      .locator('.live-responses-table .response-col_status')
      .getByText('503')
      .waitFor({ timeout: 15_000 });
    await predict.getByText('not_ready').first().waitFor();
    assert.deepEqual(csp, [], 'Swagger UI broke its Content-Security-Policy');
  });
});

test('neither page can be framed by another site', { skip, timeout: 60_000 }, async () => {
  const base = server.url;
  await inBrowser('framing', async (page) => {
    // Another origin (a data: page) frames the dashboard, Swagger UI, and a page of its own.
    const control = 'data:text/html,<p>framed</p>';
    await page.goto(
      `data:text/html,<iframe src="${base}/admin/queues?api_key=${KEY}"></iframe><iframe src="${base}/docs/"></iframe><iframe src="${control}"></iframe>`,
    );
    // Chromium shows a frame the CSP refuses as its error page.
    const frameUrls = async () =>
      page
        .mainFrame()
        .childFrames()
        .map((frame) => frame.url());
    const urls = await waitFor(
      (seen) => `both pages refused in their frames (a page was framed: ${JSON.stringify(seen)})`,
      frameUrls,
      (seen) => seen.filter((url) => url === 'chrome-error://chromewebdata/').length === 2,
      15_000,
      100,
    );
    // The page's own frame loads: frames are not refused wholesale here.
    const own = page
      .mainFrame()
      .childFrames()
      .find((frame) => frame.url() === control);
    assert.ok(own, JSON.stringify(urls));
    await own.getByText('framed').waitFor();
  });
});
