// The operators' page on the full local stack (`npm start`, no keys) in Chromium: no console error
// and no request to another host; the charts draw what the API returns (elements counted);
// "Retrain now" queues the `manual` job, shows its progress and result, and the new version appears
// in the models chart; the form answers what POST /predict answers. Screenshots in test-results/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inBrowser, noChromium } from '../support/browser.js';
import { type LocalStack, startLocalStack } from '../support/localStack.js';
import { until, waitFor } from '../support/wait.js';

let stack: LocalStack;

interface ModelPage {
  champion: string | null;
  total: number;
  models: Array<{ version: string; promoted: boolean }>;
}
const api = async <T>(path: string, init?: RequestInit): Promise<T> =>
  (await (await fetch(`${stack.baseUrl}${path}`, init)).json()) as T;

before(async () => {
  if (noChromium) return;
  stack = await startLocalStack();
  await stack.up();
  // The stack replays the beers and trains a first model on its own.
  await until(
    'a first model served',
    async () => {
      // The server role may still be starting: no answer is not yet.
      const ready = await api<{ model: string | null }>('/ready').catch(() => undefined);
      return (ready?.model ?? null) !== null;
    },
    300_000,
  );
});

after(async () => {
  await stack?.cleanup();
});

test('the page shows the stack live, retrains from its button and predicts from its form', {
  skip: noChromium,
  timeout: 600_000,
}, async () => {
  const base = stack.baseUrl;
  await inBrowser(base, async ({ page, errors, foreign, screenshot }) => {
    await page.goto(`${base}/`);

    // The stream: one bar per shard the consumers published.
    const shards = await waitFor(
      'stream metrics for both consumers',
      async () => api<{ cleaned: unknown[]; raw: unknown[] }>('/metrics/stream'),
      (m) => m.cleaned.length > 0 && m.raw.length > 0,
      60_000,
    );
    const bars = page.locator('#stream-chart g[aria-description="records per shard"] rect');
    await until(
      'one bar per shard',
      async () => (await bars.count()) === shards.cleaned.length + shards.raw.length,
      30_000,
    );

    // The models: one dot per version listed, and the champion's curves and test split.
    // Listed again each time: the stack may register another version while the page draws.
    const dots = page.locator('#models-chart g[aria-description="test MAE"] circle');
    await until(
      'one dot per version',
      async () => (await dots.count()) === (await api<ModelPage>('/models?limit=100')).models.length,
      30_000,
      250,
    );
    // The champion's charts are drawn after the models chart, once its metadata has arrived: waited
    // for, not counted at once (on a loaded machine the count read 0 before the draw). The champion
    // is read again each time, in case the stack promoted another meanwhile.
    const scatter = page.locator('#scatter-chart g[aria-description="test predictions"] circle');
    let expected = -1;
    await until(
      () => `one dot per test row of the champion (${expected})`,
      async () => {
        const champion = await api<{ evaluation: { test: { actual: unknown[] } } }>('/models/champion');
        expected = champion.evaluation.test.actual.length;
        return expected > 0 && (await scatter.count()) === expected;
      },
      30_000,
      250,
    );
    const curves = page.locator('#curves-chart g[aria-description="loss curves"] path');
    await until('the training and validation loss curves', async () => (await curves.count()) === 2, 30_000);
    await screenshot('page-on-stack');

    // The form: the same answer as POST /predict for the same beer.
    await page.fill('input[name=abv]', '7.2');
    await page.fill('input[name=target_og]', '1066');
    await page.click('#predict-form button[type=submit]');
    const result = page.locator('#predict-result');
    await until(
      'a prediction shown',
      async () => ((await result.getAttribute('data-ibu')) ?? '') !== '',
      10_000,
    );
    const direct = await api<{ ibu: number; bitterness: string }>('/predict', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ abv: 7.2, target_og: 1066, target_fg: 1012, ebc: 20, ph: 4.4 }),
    });
    assert.equal(Number(await result.getAttribute('data-ibu')), direct.ibu);
    assert.match((await result.textContent()) ?? '', new RegExp(direct.bitterness));
    // The form's request counted with the others.
    await until(
      'the predictions chart drawn',
      async () => (await page.locator('#rate-chart g[aria-description="per minute"] path').count()) === 2,
      15_000,
    );

    // Retrain now (on unchanged data, so forced): progress, then the new version in the chart.
    await page.check('#retrain-force');
    await page.click('#retrain');
    const status = page.locator('#retrain-status');
    const seen = new Set<string>();
    await waitFor(
      () => `the retrain to complete; the status said: ${[...seen].join(' | ')}`,
      async () => {
        const text = (await status.textContent()) ?? '';
        seen.add(text);
        return text;
      },
      (text) => /completed|failed|error/i.test(text),
      400_000,
      250,
    );
    const final = (await status.textContent()) ?? '';
    assert.match(final, /completed — new version \d{8}T\d{9}Z-[0-9a-f]{6}/, final);
    assert.ok(
      [...seen].some((s) => /active — epoch \d+ of \d+/.test(s)),
      `progress shown: ${[...seen].join(' | ')}`,
    );
    const version = /new version (\S+):/.exec(final)?.[1] as string;
    const after = await api<ModelPage>('/models?limit=100');
    assert.equal(after.models[0]?.version, version, 'the new version is the newest listed');
    await until('the new version drawn', async () => (await dots.count()) === after.models.length, 15_000);
    const titles = await dots.evaluateAll((circles) =>
      circles.map((c) => c.querySelector('title')?.textContent ?? ''),
    );
    assert.ok(
      titles.some((t) => t.startsWith(version)),
      `a dot for ${version}`,
    );
    await screenshot('page-after-retrain');

    assert.deepEqual(errors, []);
    assert.deepEqual(foreign, []);
  });
});
