// API-key checks for admin, retrain and dashboard routes (and predictions when configured).
// A key comes from the `x-api-key` header, from HTTP basic auth (any user name, the key as the
// password: what a browser can be told to send), or from the `brewstream_key` cookie that
// `?api_key=` sets once on a dashboard URL (HttpOnly, SameSite=Strict) so the page's own
// requests carry it. Missing key → 401, wrong key → 403.
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeys } from '../apiKeys.js';
import { HttpError } from '../errors.js';

export const KEY_COOKIE = 'brewstream_key';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook that refuses requests without a valid API key. */
    requireApiKey: onRequestHookHandler;
  }
}

function fromCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === KEY_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

function fromBasicAuth(header: string | undefined): string | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/** The key a request presents, if any. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  return fromBasicAuth(request.headers.authorization) ?? fromCookie(request.headers.cookie);
}

export default fp(
  async (app, options: { keys: ApiKeys }) => {
    const { keys } = options;
    if (!keys.configured) app.log.warn('API_KEYS is empty: admin, retrain and dashboard routes are open');

    const requireApiKey: onRequestHookHandler = (request: FastifyRequest, reply: FastifyReply, done) => {
      if (!keys.configured) return done();
      const key = presentedKey(request);
      if (key === undefined) {
        // Tell a browser it may ask for basic auth; API clients use the header.
        reply.header('www-authenticate', 'Basic realm="brewstream", charset="UTF-8"');
        return done(new HttpError(401, 'unauthorized', 'an API key is required (x-api-key header)'));
      }
      if (!keys.matches(key)) return done(new HttpError(403, 'forbidden', 'the API key is not valid'));
      done();
    };
    app.decorate('requireApiKey', requireApiKey);
  },
  { name: 'auth' },
);
