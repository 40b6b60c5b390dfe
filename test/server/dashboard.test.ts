// The bull-board dashboard in a real browser (Debian's Chromium through playwright-core): open
// /admin/queues with a key once, add a retrain job from the page, and watch a small real BullMQ
// worker complete it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { UnrecoverableError, Worker } from 'bullmq';
import { chromium } from 'playwright-core';
import { createBlockingRedis, RETRAIN_QUEUE, type RetrainJobData } from '../../lib/redis.js';
import { releaseRetrainDedup } from '../../lib/retrainQueue.js';
import { startServer, type TestServer } from '../support/server.js';
import { sleep, until } from '../support/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'dashboard-key-42';
const SCREENSHOT = path.join(os.tmpdir(), 'brewstream-dashboard.png');
const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (scripts/ensure-chromium.sh installs it)`;

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

test('an operator adds a retrain job from the dashboard, retries it when it fails, and sees it complete', {
  skip,
  timeout: 90_000,
}, async () => {
  const base = server.url;
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'brewstream-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await context.newPage();
  try {
    // (Without a key the page answers 401 with a basic-auth challenge: server.test.ts.)
    // The key once in the URL becomes an HttpOnly cookie; the URL loses it.
    await page.goto(`${base}/admin/queues?api_key=${KEY}`);
    assert.equal(new URL(page.url()).search, '');
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.name === 'brewstream_key' && c.httpOnly));

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
      100,
    );
    await page.goto(`${base}/admin/queues/queue/${encodeURIComponent(RETRAIN_QUEUE)}?status=failed`);
    await page.getByText('first run fails on purpose').first().waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: /retry all/i }).click();
    await page.getByRole('button', { name: /^confirm$/i }).click();

    // The worker completes it; the page's completed tab shows it.
    await until('the retried job to complete', async () => completed.length > 0, 30_000, 100);
    assert.deepEqual(completed, [{ reason: 'manual' }]);
    assert.equal(attempts, 2);
    await page.goto(`${base}/admin/queues/queue/${encodeURIComponent(RETRAIN_QUEUE)}?status=completed`);
    await page.getByText('100%').first().waitFor({ timeout: 15_000 });
    await page.getByText('"manual"').first().waitFor();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const counts = await server.app.retrainQueue.getJobCounts('completed');
    assert.equal(counts.completed, 1);
  } catch (error) {
    // What the page looked like when it failed, for whoever reads the failure.
    await page
      .screenshot({ path: SCREENSHOT.replace('.png', '-failed.png'), fullPage: true })
      .catch(() => {});
    throw error;
  } finally {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
});
