// What `npm start` tells a person, in plain text among the JSON log lines: once the first model is
// served, where the API, its docs and the dashboard are, a curl that works, and how long it took
// from start to the first prediction. The server's /ready says when a model is loaded; then one
// real prediction is asked for, so the time printed is that of a prediction actually served. If no
// model comes for a while, a notice says where things are anyway and that the banner follows.

/** The prediction the banner's curl makes, and the one start.js makes to time the first. */
export const EXAMPLE_BEER = { abv: 4.5, target_og: 1044 };

export interface Where {
  baseUrl: string;
  /** API_KEYS is set: the dashboard asks for a key. */
  keys: boolean;
  /** PREDICT_REQUIRES_KEY with keys: predictions need a key too. */
  predictNeedsKey: boolean;
}

/** The server's address as a URL a browser or curl on this machine can use. */
export function localBaseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export function predictCurl(where: Where): string {
  // The key stays out of the terminal and the logs: the shell fills it in.
  const key = where.predictNeedsKey ? ` -H "x-api-key: $API_KEY"` : '';
  return `curl -s ${where.baseUrl}/predict -H 'content-type: application/json'${key} -d '${JSON.stringify(EXAMPLE_BEER)}'`;
}

function addresses(where: Where): string[] {
  const lines = [
    `  API        ${where.baseUrl}`,
    `  API docs   ${where.baseUrl}/docs`,
    `  Dashboard  ${where.baseUrl}/admin/queues`,
  ];
  if (where.keys)
    lines.push('             (API_KEYS is set: open it once as /admin/queues?api_key=<one of API_KEYS>)');
  lines.push(`  Predict    ${predictCurl(where)}`);
  if (where.predictNeedsKey)
    lines.push('             (PREDICT_REQUIRES_KEY is set: export API_KEY=<one of API_KEYS> first)');
  lines.push(
    '  Stop       Ctrl-C, or SIGTERM to npm start: every role, the stand-ins and a Redis it started',
  );
  return lines;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

export function bannerText(where: Where, model: string, sinceStartMs: number): string {
  return [
    '',
    `brewstream is serving predictions: model ${model}, first prediction served ${seconds(sinceStartMs)} s after start`,
    '',
    ...addresses(where),
    '',
    '',
  ].join('\n');
}

/** `ready`: what the server's /ready said last ("no-model", "loading"), or undefined if it did not answer. */
export function noModelYetText(where: Where, sinceStartMs: number, ready: string | undefined): string {
  const server =
    ready === undefined ? 'the server does not answer yet' : `the server's /ready says "${ready}"`;
  return [
    '',
    `brewstream has no model to serve yet, ${seconds(sinceStartMs)} s after start (${server}).`,
    '  The first retrain is still running or has failed: the trainer lines say which, and the dashboard',
    '  shows the retrain queue. The banner follows here once a model is served.',
    '',
    ...addresses(where),
    '',
    '',
  ].join('\n');
}

export interface FirstModelOptions {
  where: Where;
  /** A key for start.js's own prediction when predictions need one. */
  apiKey?: string;
  /** When the stack started (ms since the epoch). */
  startedAt: number;
  /** After this long without a model, the notice is printed (once). */
  noticeAfterMs: number;
  pollMs: number;
  write: (text: string) => void;
  onServed: (model: string, sinceStartMs: number) => void;
}

/** Polls until a prediction is served, then writes the banner. Returns a function that stops it. */
export function announceFirstModel(options: FirstModelOptions): () => void {
  const { where } = options;
  let stopped = false;
  let noticed = false;
  let timer: NodeJS.Timeout | undefined;
  const abort = new AbortController();

  const ready = async (): Promise<string | undefined> => {
    try {
      const response = await fetch(`${where.baseUrl}/ready`, {
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(2000)]),
      });
      return ((await response.json()) as { status?: string }).status ?? `HTTP ${response.status}`;
    } catch {
      return undefined;
    }
  };
  const predict = async (): Promise<string | undefined> => {
    try {
      const response = await fetch(`${where.baseUrl}/predict`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
        },
        body: JSON.stringify(EXAMPLE_BEER),
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(5000)]),
      });
      const body = (await response.json()) as { model?: string };
      return response.status === 200 ? body.model : undefined;
    } catch {
      return undefined;
    }
  };

  const poll = async () => {
    const status = await ready();
    const model = status === 'ready' ? await predict() : undefined;
    if (stopped) return;
    const sinceStartMs = Date.now() - options.startedAt;
    if (model !== undefined) {
      options.write(bannerText(where, model, sinceStartMs));
      options.onServed(model, sinceStartMs);
      return;
    }
    if (!noticed && sinceStartMs > options.noticeAfterMs) {
      noticed = true;
      options.write(noModelYetText(where, sinceStartMs, status));
    }
    timer = setTimeout(poll, options.pollMs);
  };
  timer = setTimeout(poll, options.pollMs);

  return () => {
    stopped = true;
    clearTimeout(timer);
    abort.abort();
  };
}
