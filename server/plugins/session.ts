// A browser's session on one path prefix: the dashboard's /admin/queues today, any page for
// people later. Registered inside the plugin that serves the prefix, so its hooks run there only.
// Opening `<prefix>?api_key=KEY` once checks the key and answers a 303 to the same URL without it,
// setting a session cookie: signed (HMAC-SHA256, by @fastify/cookie, with SESSION_SECRET),
// expiring (SESSION_TTL_S, checked from the signed value, not only by the browser), scoped to the
// prefix, HttpOnly, SameSite=Strict, and Secure whenever the request came over HTTPS (the ALB's
// X-Forwarded-Proto counts through TRUST_PROXY). The cookie is not the key: it holds its expiry and
// a tag of the key it was opened with (an HMAC of the key's digest), so it stops working when that
// key is removed, and nothing in it gives the key away. Only requests under the prefix read it;
// every other route takes the header or basic auth alone.
import { createHmac, timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isRecord } from '../../lib/guards.js';
import type { ApiKeys, KeySet } from '../apiKeys.js';
import { HttpError } from '../errors.js';

export const SESSION_COOKIE = 'brewstream_session';

export interface SessionOptions {
  /** The path the session is for (no trailing slash); the cookie is scoped to it. */
  prefix: string;
  keys: ApiKeys;
  /** Signs the cookie; the same on every server task behind one load balancer. */
  secret: string;
  ttlS: number;
  now?: () => number;
}

/**
 * Where a login redirects: the requested path and query without `api_key`, or the prefix itself if
 * the path (once `..` and `.` segments are resolved) is not under it. Only a path is returned, and
 * one that starts with the prefix, so the redirect cannot leave the prefix, let alone the host.
 */
export function loginRedirect(url: string, prefix: string): string {
  const parsed = new URL(url, 'http://localhost');
  parsed.searchParams.delete('api_key');
  const path = parsed.pathname;
  const inside = path === prefix || path.startsWith(`${prefix}/`);
  return `${inside ? path : prefix}${parsed.search}`;
}

/** What stands in the cookie for the key: an HMAC of the key's digest, so the digest stays hidden. */
function keyTag(secret: string, digest: string): Buffer {
  return createHmac('sha256', secret).update(`session-key:${digest}`).digest().subarray(0, 16);
}

/** The cookie's value before signing: `<expiry, epoch seconds>.<key tag, base64url>`. */
export function sessionValue(secret: string, digest: string, expiresAtS: number): string {
  return `${expiresAtS}.${keyTag(secret, digest).toString('base64url')}`;
}

/** The digest of the key a session value was opened with, if it has not expired and the key is in `keys`. */
export function sessionKey(secret: string, value: string, keys: KeySet, nowMs: number): string | undefined {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{22})$/.exec(value);
  if (!match || Number(match[1]) * 1000 <= nowMs) return undefined;
  const tag = Buffer.from(match[2] as string, 'base64url');
  let found: string | undefined;
  for (const digest of keys.hexDigests()) {
    if (timingSafeEqual(tag, keyTag(secret, digest))) found = digest;
  }
  return found;
}

export default fp(
  async (app, options: SessionOptions) => {
    const { prefix, keys, secret, ttlS } = options;
    const now = options.now ?? Date.now;
    await app.register(fastifyCookie, { secret });

    // Log in: `?api_key=` once, swapped for the session cookie.
    app.addHook('onRequest', async (request, reply) => {
      // These routes have no querystring schema: the parsed query is checked here.
      const key = isRecord(request.query) ? request.query.api_key : undefined;
      if (typeof key !== 'string') return;
      if (keys.required) {
        const digest = await keys.resolve(key);
        keys.current(); // keys not read yet: a 503, not "not valid"
        if (digest === undefined) throw new HttpError(403, 'forbidden', 'the API key is not valid');
        reply.setCookie(SESSION_COOKIE, sessionValue(secret, digest, Math.floor(now() / 1000) + ttlS), {
          signed: true,
          path: prefix,
          httpOnly: true,
          sameSite: 'strict',
          secure: request.protocol === 'https',
          maxAge: ttlS,
        });
      }
      return reply.redirect(loginRedirect(request.url, prefix), 303);
    });

    // A valid session stands for its key here, unless the request names a key itself.
    const fromSession = (request: FastifyRequest): string | undefined => {
      const raw = request.cookies[SESSION_COOKIE];
      if (!raw) return undefined;
      const unsigned = request.unsignCookie(raw);
      if (!unsigned.valid || unsigned.value === null) return undefined;
      try {
        return sessionKey(secret, unsigned.value, keys.current(), now());
      } catch {
        return undefined; // keys not read yet: requireApiKey answers 503
      }
    };
    app.addHook('onRequest', async (request) => {
      if (request.credential?.presented) return;
      const digest = fromSession(request);
      if (digest !== undefined) request.credential = { presented: true, digest };
    });
  },
  { name: 'session', dependencies: ['auth'] },
);
