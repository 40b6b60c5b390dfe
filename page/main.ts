// The operators' page (served at / by server/routes/page.ts): reads the JSON API of its own origin
// and draws it with Observable Plot, bundled by scripts/build-page.js. Polls every POLL_MS; a
// section whose data is not there yet (no model, no traffic, a route this server does not have)
// says so instead of drawing nothing. Page actions go to /page/…, where the session cookie counts.
import * as Plot from '@observablehq/plot';
import { type Drift, type ModelPage, type ModelSummary, type Quality, type Recent, routesOf } from './api.js';

const POLL_MS = 5000;
const MODELS_SHOWN = 100;
const routes = routesOf(document.body.dataset.routes ?? '');

const $ = (id: string): HTMLElement => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string) {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className) element.className = className;
  return element;
}

const empty = (text: string) => el('p', text, 'empty');

function figures(id: string, items: Array<[string, string]>) {
  $(id).replaceChildren(
    ...items.map(([label, value]) => {
      const figure = el('span', label, 'figure');
      figure.prepend(el('b', value));
      return figure;
    }),
  );
}

function table(headers: string[], rows: string[][]): HTMLTableElement {
  const t = el('table');
  const head = t.createTHead().insertRow();
  for (const h of headers) head.append(el('th', h));
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) tr.insertCell().textContent = cell;
  }
  return t;
}

/** GET a JSON route; undefined for a 404 (no such thing yet). Other failures throw. */
async function get<T>(path: string): Promise<T | undefined> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const fmt = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
const ago = (iso: string | null | undefined) => {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : new Date(iso).toLocaleString();
};
const width = (id: string) => Math.max(320, Math.min(1200, $(id).clientWidth || 600));

function draw(id: string, chart: (SVGSVGElement | HTMLElement) | undefined, otherwise: string) {
  $(id).replaceChildren(chart ?? empty(otherwise));
}

// --- sections ------------------------------------------------------------------------------------

interface Ready {
  status: string;
  model: string | null;
  redis: string;
  s3: string;
}

async function status(): Promise<Ready | undefined> {
  const ready = await get<Ready>('/ready');
  const line = ready
    ? `${ready.status} · model ${ready.model ?? 'none yet'} · Redis ${ready.redis} · S3 ${ready.s3}`
    : 'not answering';
  $('status').textContent = line;
  return ready;
}

interface Shard {
  shardId: string;
  records: number;
  lagMs: number | null;
  freshnessMs: number | null;
  deadLetters: Record<string, number>;
  updatedAt: string | null;
}

async function stream() {
  const metrics = await get<{ cleaned: Shard[]; raw: Shard[] }>('/metrics/stream');
  const rows = metrics
    ? (['cleaned', 'raw'] as const).flatMap((consumer) => metrics[consumer].map((s) => ({ consumer, ...s })))
    : [];
  if (rows.length === 0) {
    $('stream-summary').replaceChildren(
      empty('No records consumed yet: the consumers publish here once they run.'),
    );
    $('stream-chart').replaceChildren();
    $('dead-letters').replaceChildren();
    return;
  }
  const cleaned = rows.filter((r) => r.consumer === 'cleaned');
  const maxOf = (values: Array<number | null>) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length === 0 ? null : Math.max(...known);
  };
  figures('stream-summary', [
    ['records (cleaned)', String(cleaned.reduce((n, r) => n + r.records, 0))],
    ['max lag behind tip', `${fmt((maxOf(rows.map((r) => r.lagMs)) ?? Number.NaN) / 1000)} s`],
    ['cleaned freshness', `${fmt((maxOf(cleaned.map((r) => r.freshnessMs)) ?? Number.NaN) / 1000)} s`],
    [
      'updated',
      ago(
        rows
          .map((r) => r.updatedAt ?? '')
          .sort()
          .at(-1),
      ),
    ],
  ]);
  draw(
    'stream-chart',
    Plot.plot({
      width: width('stream-chart'),
      height: 60 + rows.length * 22,
      marginLeft: 190,
      x: { label: 'records consumed', grid: true },
      y: { label: null },
      marks: [
        Plot.barX(rows, {
          x: 'records',
          y: (r: (typeof rows)[number]) => `${r.consumer} ${r.shardId}`,
          fill: 'consumer',
          title: (r: (typeof rows)[number]) =>
            `${r.consumer} ${r.shardId}: ${r.records} records, lag ${fmt(r.lagMs, 0)} ms, freshness ${fmt(r.freshnessMs, 0)} ms`,
          ariaDescription: 'records per shard',
        }),
        Plot.ruleX([0]),
      ],
    }),
    '',
  );
  const dead = new Map<string, number>();
  for (const r of cleaned)
    for (const [reason, n] of Object.entries(r.deadLetters)) dead.set(reason, (dead.get(reason) ?? 0) + n);
  $('dead-letters').replaceChildren(
    el('h3', 'Dead letters (rejected records) by reason'),
    dead.size === 0
      ? empty('None.')
      : table(
          ['reason', 'records'],
          [...dead].sort((a, b) => b[1] - a[1]).map(([reason, n]) => [reason, String(n)]),
        ),
  );
}

async function tableSection() {
  const [page, quality] = await Promise.all([
    get<{ total: number; lastUpdate: string | null }>('/table?limit=1'),
    routes.quality ? get<Quality>('/table/quality') : Promise.resolve(undefined),
  ]);
  if (!page || page.total === 0) {
    $('table-summary').replaceChildren(
      empty('No rows yet: the cleaned table fills as the stream is consumed.'),
    );
  } else {
    figures('table-summary', [
      ['rows', String(page.total)],
      ['distinct beers', String(page.total)],
      ['last update', ago(page.lastUpdate)],
      [
        'latest snapshot',
        quality?.snapshot === undefined || quality.snapshot === null ? '—' : String(quality.snapshot),
      ],
    ]);
  }
  if (!quality) {
    $('quality').replaceChildren(el('h3', 'Data quality'), empty('No data-quality summary yet.'));
    return;
  }
  $('quality').replaceChildren(
    el(
      'h3',
      `Data quality of snapshot ${quality.snapshot ?? '—'} (${quality.rows} rows, ${ago(quality.computedAt)})`,
    ),
    table(
      ['column', 'nulls', 'out of range'],
      quality.columns.map((c) => [c.column, String(c.nulls), String(c.outOfRange)]),
    ),
    quality.excluded.length === 0
      ? empty('No rows excluded by the data fixes.')
      : table(
          ['excluded by the data fixes', 'rows'],
          quality.excluded.map((e) => [e.reason, String(e.rows)]),
        ),
  );
}

let modelsDrawnFor = '';

async function models(force = false) {
  const page = await get<ModelPage>(`/models?limit=${MODELS_SHOWN}`);
  const list = [...(page?.models ?? [])].reverse(); // oldest first
  const key = `${page?.champion}|${list.map((m) => m.version).at(-1)}|${list.length}`;
  if (!force && key === modelsDrawnFor) return;
  modelsDrawnFor = key;
  if (!page || list.length === 0) {
    $('models-summary').replaceChildren(
      empty('No model yet: the first retrain registers one once the table has data.'),
    );
    for (const id of ['models-chart', 'curves-chart', 'scatter-chart']) $(id).replaceChildren();
    return;
  }
  const champion = list.find((m) => m.version === page.champion);
  figures('models-summary', [
    ['versions', String(page.total)],
    ['champion', page.champion ?? 'none'],
    ['champion test MAE', fmt(champion?.mae, 2)],
    ['serving', page.serving ?? 'none'],
  ]);
  const points = list.map((m) => ({ ...m, at: new Date(m.createdAt) }));
  const baselineNames = [...new Set(list.flatMap((m) => Object.keys(m.baselines)))].sort();
  const baselines = baselineNames.flatMap((name) =>
    points.map((m) => ({ name: `baseline: ${name}`, at: m.at, mae: m.baselines[name] ?? null })),
  );
  const withInterval = points.filter((m) => m.maeCi95 !== null);
  draw(
    'models-chart',
    Plot.plot({
      width: width('models-chart'),
      height: 300,
      x: { label: 'trained at', type: 'utc' },
      y: { label: 'test MAE (IBU)', grid: true, zero: true },
      color: { legend: true },
      marks: [
        Plot.ruleX(withInterval, {
          x: 'at',
          y1: (m: ModelSummary) => m.maeCi95?.[0],
          y2: (m: ModelSummary) => m.maeCi95?.[1],
          stroke: '#999',
          ariaDescription: 'test MAE interval',
        }),
        Plot.line(baselines, {
          x: 'at',
          y: 'mae',
          stroke: 'name',
          strokeDasharray: '4 3',
          ariaDescription: 'baselines',
        }),
        Plot.line(points, { x: 'at', y: 'mae', stroke: '#888', ariaDescription: 'test MAE line' }),
        // Promoted versions ringed: a mark of their own, so it can be counted and told apart.
        Plot.dot(
          points.filter((m) => m.promoted),
          { x: 'at', y: 'mae', r: 7, stroke: 'black', fill: 'none', ariaDescription: 'promoted' },
        ),
        Plot.dot(points, {
          x: 'at',
          y: 'mae',
          r: 3.5,
          fill: (m: ModelSummary) => (m.promoted ? 'promoted' : 'not promoted'),
          stroke: 'white',
          title: (m: ModelSummary) =>
            `${m.version}\ntest MAE ${fmt(m.mae, 2)}${m.maeCi95 ? ` [${fmt(m.maeCi95[0], 2)}, ${fmt(m.maeCi95[1], 2)}]` : ''}\n${m.reason}`,
          ariaDescription: 'test MAE',
        }),
      ],
    }),
    '',
  );
  await championCharts(page.champion);
}

interface ChampionMetadata {
  version: string;
  history: Array<{ epoch: number; loss: number; val_loss: number }>;
  bestEpoch: number;
  evaluation?: { test: { actual: number[]; predicted: number[] } };
}

async function championCharts(version: string | null) {
  const meta = version ? await get<ChampionMetadata>('/models/champion') : undefined;
  if (!meta) {
    $('curves-chart').replaceChildren(empty('No champion yet.'));
    $('scatter-chart').replaceChildren(empty('No champion yet.'));
    return;
  }
  const losses = meta.history.flatMap((h) => [
    { epoch: h.epoch, loss: h.loss, split: 'training' },
    { epoch: h.epoch, loss: h.val_loss, split: 'validation' },
  ]);
  draw(
    'curves-chart',
    losses.length === 0
      ? undefined
      : Plot.plot({
          width: width('curves-chart'),
          height: 260,
          x: { label: 'epoch' },
          y: { label: 'loss', grid: true },
          color: { legend: true },
          marks: [
            Plot.line(losses, { x: 'epoch', y: 'loss', stroke: 'split', ariaDescription: 'loss curves' }),
            Plot.ruleX([meta.bestEpoch], {
              stroke: '#999',
              strokeDasharray: '2 2',
              ariaDescription: 'best epoch',
            }),
          ],
        }),
    'No training history recorded.',
  );
  const test = meta.evaluation?.test;
  const scatter = test
    ? test.actual.map((actual, i) => ({ actual, predicted: test.predicted[i] ?? Number.NaN }))
    : [];
  const top = Math.max(1, ...scatter.flatMap((p) => [p.actual, p.predicted]).filter(Number.isFinite));
  draw(
    'scatter-chart',
    scatter.length === 0
      ? undefined
      : Plot.plot({
          width: width('scatter-chart'),
          height: 260,
          x: { label: 'actual IBU', domain: [0, top] },
          y: { label: 'predicted IBU', domain: [0, top], grid: true },
          marks: [
            Plot.line([{ v: 0 }, { v: top }], {
              x: 'v',
              y: 'v',
              stroke: '#bbb',
              ariaDescription: 'identity',
            }),
            Plot.dot(scatter, {
              x: 'actual',
              y: 'predicted',
              r: 2.5,
              fill: 'steelblue',
              ariaDescription: 'test predictions',
            }),
          ],
        }),
    `${meta.version} has no test-split predictions recorded (trained before they were).`,
  );
}

interface PredictionStats {
  serving: string | null;
  lastVersion: string | null;
  perMinute: Array<{ minute: string; requests: number; predictions: number; errors: number }>;
  latencyMs: { samples: number; p50: number | null; p90: number | null; p99: number | null };
}

async function predictions() {
  const [stats, drift, recent] = await Promise.all([
    get<PredictionStats>('/metrics/predictions'),
    routes.drift ? get<Drift>('/models/champion/drift') : Promise.resolve(undefined),
    routes.recent ? get<Recent>('/predictions/recent?limit=10') : Promise.resolve(undefined),
  ]);
  if (stats) {
    const last = stats.perMinute.at(-1);
    figures('predictions-summary', [
      ['serving', stats.serving ?? 'no model'],
      ['requests this minute', String(last?.requests ?? 0)],
      ['predictions this minute', String(last?.predictions ?? 0)],
      [
        'latency p50 / p90 / p99',
        `${fmt(stats.latencyMs.p50)} / ${fmt(stats.latencyMs.p90)} / ${fmt(stats.latencyMs.p99)} ms`,
      ],
    ]);
    const minutes = stats.perMinute.flatMap((m) => [
      { minute: new Date(m.minute), count: m.requests, what: 'requests' },
      { minute: new Date(m.minute), count: m.predictions, what: 'predictions' },
    ]);
    const any = stats.perMinute.some((m) => m.requests > 0);
    draw(
      'rate-chart',
      any
        ? Plot.plot({
            width: width('rate-chart'),
            height: 180,
            x: { label: 'minute', type: 'utc' },
            y: { label: 'per minute', grid: true },
            color: { legend: true },
            marks: [
              Plot.lineY(minutes, { x: 'minute', y: 'count', stroke: 'what', ariaDescription: 'per minute' }),
            ],
          })
        : undefined,
      'No prediction requests in the last hour.',
    );
  }
  draw(
    'drift-chart',
    drift && drift.window.rows > 0 && drift.features.length > 0
      ? Plot.plot({
          width: width('drift-chart'),
          height: 40 + drift.features.length * 24,
          marginLeft: 130,
          x: { label: `PSI (threshold ${drift.threshold}; ${drift.window.rows} rows)`, grid: true },
          color: { domain: [false, true], range: ['steelblue', 'crimson'] },
          marks: [
            Plot.barX(drift.features, {
              x: 'psi',
              y: 'feature',
              fill: 'drift',
              title: (f: Drift['features'][number]) =>
                `${f.feature}: PSI ${fmt(f.psi, 3)}${f.drift ? ' — drifted' : ''}`,
              ariaDescription: 'drift per feature',
            }),
            Plot.ruleX([drift.threshold], {
              stroke: 'crimson',
              strokeDasharray: '4 2',
              ariaDescription: 'drift threshold',
            }),
          ],
        })
      : undefined,
    'No drift measured yet: it needs a champion and logged predictions.',
  );
  $('recent').replaceChildren(
    recent && recent.predictions.length > 0
      ? table(
          ['time', 'version', 'inputs', 'IBU', 'band', 'ms'],
          recent.predictions.map((p) => [
            new Date(p.time).toLocaleTimeString(),
            p.version,
            JSON.stringify(p.inputs),
            fmt(p.ibu),
            p.band,
            fmt(p.latencyMs),
          ]),
        )
      : empty('No predictions logged yet.'),
  );
}

// --- actions -------------------------------------------------------------------------------------

async function post<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

interface Job {
  state?: string;
  progress?: unknown;
  failedReason?: string | null;
  returnValue?: unknown;
}

function describeProgress(progress: unknown): string {
  if (typeof progress === 'number') return `${progress}%`;
  if (progress && typeof progress === 'object') {
    const p = progress as Record<string, unknown>;
    if (typeof p.epoch === 'number' && typeof p.maxEpochs === 'number')
      return `epoch ${p.epoch} of ${p.maxEpochs}`;
    return JSON.stringify(progress);
  }
  return '';
}

function describeResult(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  const v = value as Record<string, unknown>;
  if (typeof v.version === 'string')
    return `new version ${v.version}: ${typeof v.reason === 'string' ? v.reason : ''}`;
  if (typeof v.reason === 'string') return v.reason;
  return JSON.stringify(value);
}

async function retrain() {
  const button = $('retrain') as HTMLButtonElement;
  const out = $('retrain-status');
  const force = ($('retrain-force') as HTMLInputElement).checked;
  button.disabled = true;
  out.className = 'status';
  try {
    const queued = await post<{ id?: string; message?: string }>('/page/retrain', force ? { force } : {});
    if (queued.status !== 202 || !queued.body.id)
      throw new Error(queued.body.message ?? `HTTP ${queued.status}`);
    const id = queued.body.id;
    out.textContent = `job ${id}: ${queued.body.message ?? 'queued'}`;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const job = await get<Job>(`/page/retrain/${encodeURIComponent(id)}`);
      if (!job) throw new Error(`job ${id} is gone`);
      const progress = describeProgress(job.progress);
      out.textContent = `job ${id}: ${job.state ?? '?'}${progress ? ` — ${progress}` : ''}`;
      if (job.state === 'completed') {
        out.textContent = `job ${id}: completed — ${describeResult(job.returnValue)}`;
        await models(true);
        return;
      }
      if (job.state === 'failed')
        throw new Error(`job ${id} failed: ${job.failedReason ?? 'no reason given'}`);
    }
  } catch (error) {
    out.className = 'status error';
    out.textContent = (error as Error).message;
  } finally {
    button.disabled = false;
  }
}

async function predict(event: SubmitEvent) {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const out = $('predict-result');
  const beer: Record<string, number> = {};
  for (const [name, value] of new FormData(form))
    if (typeof value === 'string' && value.trim() !== '') beer[name] = Number(value);
  const answer = await post<{ ibu?: number; bitterness?: string; model?: string; message?: string }>(
    '/page/predict',
    beer,
  );
  out.className = answer.status === 200 ? '' : 'error';
  out.textContent =
    answer.status === 200
      ? `${fmt(answer.body.ibu)} IBU — ${answer.body.bitterness} (model ${answer.body.model})`
      : (answer.body.message ?? `HTTP ${answer.status}`);
  out.dataset.ibu = answer.status === 200 ? String(answer.body.ibu) : '';
}

// --- the loop ------------------------------------------------------------------------------------

async function refresh(first: boolean) {
  const results = await Promise.allSettled([
    status(),
    stream(),
    tableSection(),
    models(first),
    predictions(),
  ]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0)
    $('status').textContent += ` · ${failed.map((f) => (f.reason as Error).message).join('; ')}`;
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
}

$('retrain').addEventListener('click', () => void retrain());
($('predict-form') as HTMLFormElement).addEventListener('submit', (event) => void predict(event));
void refresh(true);
setInterval(() => void refresh(false), POLL_MS);
