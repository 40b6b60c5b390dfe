// Debian's Chromium through playwright-core, for tests of the pages: a fresh profile per use, and
// what a page must never do collected as it happens: console errors (CSP refusals, failed loads,
// uncaught exceptions) and requests to any host but the server's.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const noChromium = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (scripts/ensure-chromium.sh installs it)`;

/** Where tests leave screenshots (gitignored): test-results/ at the repository's root. */
export const ARTIFACTS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'test-results',
);

/** Headless Chromium on a fresh profile folder, quiet: no network of its own, no updates, no sync. */
export function launchChromium(userDataDir: string, viewport?: { width: number; height: number }) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    ...(viewport ? { viewport } : {}),
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
}

export interface Watched {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught page errors, in order. */
  errors: string[];
  /** Every URL requested whose origin is not the server's. */
  foreign: string[];
  /** Bytes received (headers and bodies) for every finished request so far. */
  bytes(): Promise<number>;
  screenshot(name: string): Promise<string>;
}

export async function inBrowser(base: string, use: (watched: Watched) => Promise<void>): Promise<void> {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'brewstream-chromium-'));
  const context = await launchChromium(userDataDir, { width: 1400, height: 900 });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  const foreign: string[] = [];
  const finished: Array<Promise<number>> = [];
  const origin = new URL(base).origin;
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('data:') && new URL(url).origin !== origin) foreign.push(url);
  });
  page.on('requestfinished', (request) => {
    finished.push(
      request
        .sizes()
        .then((s) => s.responseBodySize + s.responseHeadersSize)
        .catch(() => 0),
    );
  });
  await mkdir(ARTIFACTS, { recursive: true });
  const screenshot = async (name: string) => {
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
  try {
    await use({
      page,
      context,
      errors,
      foreign,
      bytes: async () => (await Promise.all(finished)).reduce((a, b) => a + b, 0),
      screenshot,
    });
  } catch (error) {
    await screenshot(`failed-${Date.now()}`).catch(() => {});
    throw error;
  } finally {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}
