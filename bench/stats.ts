// `npm run bench -- stats`: the column statistics of lib/columnStats.ts (arquero) against the
// obvious hand-written version (per column: filter the present values, sort, read the deciles with
// lib/stats.ts quantile), on the shapes they run on: the drift window (5,000 rows), the training
// split of a large table (100,000 rows), six numeric columns with 5% missing. Both must agree.
import { columnStats, QUANTILE_PROBS, type Records } from '../lib/columnStats.js';
import { FEATURES } from '../lib/features.js';
import { quantile } from '../lib/stats.js';
import { report } from './report.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

function rows(n: number, seed: number): Records {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: n }, () =>
    Object.fromEntries(FEATURES.map((f) => [f, next() < 0.05 ? null : 1000 * next()])),
  );
}

function handWritten(data: Records, columns: readonly string[]) {
  const out: Record<string, { count: number; missing: number; quantiles: number[] | null }> = {};
  for (const c of columns) {
    const present: number[] = [];
    for (const row of data) {
      const v = row[c];
      if (typeof v === 'number' && Number.isFinite(v)) present.push(v);
    }
    present.sort((a, b) => a - b);
    out[c] = {
      count: data.length,
      missing: data.length - present.length,
      quantiles: present.length === 0 ? null : QUANTILE_PROBS.map((p) => quantile(present, p)),
    };
  }
  return out;
}

/** The best of REPEATS runs, in ms (the first run also warms the code up). */
function best(run: () => unknown): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEATS + 1; i += 1) {
    const started = performance.now();
    run();
    if (i > 0) min = Math.min(min, performance.now() - started);
  }
  return Math.round(min * 100) / 100;
}

const results: Record<string, number> = {};
for (const n of [5000, 100_000]) {
  const data = rows(n, n);
  const a = columnStats(data, FEATURES);
  const h = handWritten(data, FEATURES);
  for (const c of FEATURES) {
    const qa = a[c]?.quantiles ?? [];
    const qh = h[c]?.quantiles ?? [];
    if (a[c]?.missing !== h[c]?.missing || qa.some((q, i) => Math.abs(q - (qh[i] as number)) > 1e-9))
      throw new Error(`arquero and the hand-written statistics disagree on ${c} at ${n} rows`);
  }
  const label = n >= 1000 ? `${n / 1000}k` : String(n);
  const arquero = best(() => columnStats(data, FEATURES));
  const hand = best(() => handWritten(data, FEATURES));
  results[`stats_ms_${label}_arquero`] = arquero;
  results[`stats_ms_${label}_hand`] = hand;
  results[`ratio_${label}`] = Math.round((arquero / hand) * 100) / 100;
}
report('stats', results, `six columns, 5% missing, deciles; best of ${REPEATS} runs; ratio = arquero ÷ hand`);
