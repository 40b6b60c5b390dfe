import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LATENCY_SAMPLES, MINUTES, PredictionStats } from './predictionStats.js';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0); // a minute boundary; only differences from it matter
const ok = (rows: number, version = 'v1') => ({ rows, version, ok: true });

test('counts requests and predictions per minute, errors apart, with empty minutes as zeros', () => {
  const stats = new PredictionStats();
  stats.record(T0 + 1000, 2, ok(1));
  stats.record(T0 + 59_000, 3, ok(8));
  stats.record(T0 + 61_000, 4, { rows: 1, version: null, ok: false });
  const { perMinute, lastVersion } = stats.snapshot(T0 + 3 * 60_000 + 5);
  assert.equal(perMinute.length, MINUTES);
  assert.deepEqual(perMinute.slice(-4), [
    { minute: T0, requests: 2, predictions: 9, errors: 0 },
    { minute: T0 + 60_000, requests: 1, predictions: 0, errors: 1 },
    { minute: T0 + 120_000, requests: 0, predictions: 0, errors: 0 },
    { minute: T0 + 180_000, requests: 0, predictions: 0, errors: 0 },
  ]);
  assert.equal(lastVersion, 'v1');
});

test('minutes older than the window are dropped', () => {
  const stats = new PredictionStats();
  stats.record(T0, 1, ok(1));
  stats.record(T0 + MINUTES * 60_000, 1, ok(1));
  const { perMinute } = stats.snapshot(T0 + MINUTES * 60_000);
  assert.equal(perMinute[0]?.minute, T0 + 60_000);
  assert.equal(
    perMinute.reduce((n, m) => n + m.requests, 0),
    1,
  );
});

test('latency percentiles over the last samples only; none before the first prediction', () => {
  const stats = new PredictionStats();
  assert.deepEqual(stats.snapshot(T0).latencyMs, { samples: 0, p50: null, p90: null, p99: null });
  // An old slow era, then LATENCY_SAMPLES requests at 1..LATENCY_SAMPLES ms that replace it.
  for (let i = 0; i < 100; i += 1) stats.record(T0, 10_000, ok(1));
  for (let i = 1; i <= LATENCY_SAMPLES; i += 1) stats.record(T0, i, ok(1));
  const { latencyMs } = stats.snapshot(T0);
  assert.equal(latencyMs.samples, LATENCY_SAMPLES);
  // Interpolated order statistics of 1..1024: (n-1)q + 1.
  assert.equal(latencyMs.p50, 512.5);
  assert.equal(latencyMs.p90, Math.round((1023 * 0.9 + 1) * 1000) / 1000);
  assert.ok((latencyMs.p99 as number) < 10_000);
});

test('the version is the last successful prediction’s', () => {
  const stats = new PredictionStats();
  stats.record(T0, 1, ok(1, 'v1'));
  stats.record(T0, 1, ok(1, 'v2'));
  stats.record(T0, 1, { rows: 1, version: null, ok: false });
  assert.equal(stats.snapshot(T0).lastVersion, 'v2');
});
