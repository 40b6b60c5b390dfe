// The operators' page at `/` (page/: bundled into dist/page/ by scripts/build-page.js) and the
// page's own actions under /page. Behind the API key when keys are set, like the dashboard:
// `/?api_key=KEY` once swaps the key for the signed session cookie (plugins/session.ts), here
// scoped to `/` so the page's requests carry it, and honoured only by the routes of this plugin
// (and the dashboard's own). The page's reads are the public JSON API; what needs a key, it asks
// of the same handlers mounted again under /page (POST /page/retrain is POST /retrain's `manual`
// job, GET /page/retrain/:id its progress, POST /page/predict is POST /predict), where the session
// counts. Every change from the page must say it comes from this origin: the root Origin check
// refuses a foreign one, and here a POST without an Origin (no browser page sends one) is refused.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiKeys } from '../apiKeys.js';
import { HttpError } from '../errors.js';
import securityHeaders from '../plugins/securityHeaders.js';
import sessionGuard from '../plugins/session.js';
import predict from './predict.js';
import retrain from './retrain.js';

export const PAGE_PATH = '/';
export const PAGE_ACTIONS = '/page';
const BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'page');

/** The routes the page reads when the server has them: `data-routes` tells the page which. */
const OPTIONAL_ROUTES = {
  drift: '/models/champion/drift',
  recent: '/predictions/recent',
  quality: '/table/quality',
} as const;

export interface PageOptions {
  keys: ApiKeys;
  session: { secret: string; ttlS: number };
  batchMax: number;
}

const page: FastifyPluginAsync<PageOptions> = async (app, { keys, session, batchMax }) => {
  const [html, script, style] = await Promise.all(
    ['index.html', 'page.js', 'page.css'].map((file) =>
      readFile(path.join(BUNDLE, file), 'utf8').catch(() => undefined),
    ),
  );
  if (html === undefined || script === undefined || style === undefined) {
    app.log.warn({ dir: BUNDLE }, "the operators' page is not built (npm run build): / answers 404");
    return;
  }

  // The duplicates under /page stay out of the OpenAPI document: they are the page's, not the API's.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  await app.register(securityHeaders);
  await app.register(sessionGuard, { prefix: PAGE_PATH, keys, ...session });
  app.addHook('onRequest', app.requireApiKey);
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'POST' && request.headers.origin === undefined) {
      return done(
        new HttpError(403, 'cross_origin', 'a change from the page must carry its Origin', 'origin'),
      );
    }
    done();
  });

  let routesList: string | undefined;
  app.get(PAGE_PATH, (_request, reply) => {
    routesList ??= Object.entries(OPTIONAL_ROUTES)
      .filter(([, url]) => app.hasRoute({ method: 'GET', url }))
      .map(([name]) => name)
      .join(',');
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(html.replace('%ROUTES%', routesList));
  });
  app.get(`${PAGE_ACTIONS}/page.js`, (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(script),
  );
  app.get(`${PAGE_ACTIONS}/page.css`, (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(style),
  );
  await app.register(retrain, { prefix: PAGE_ACTIONS });
  await app.register(predict, { prefix: PAGE_ACTIONS, batchMax, requireKey: true });
};

export default page;
