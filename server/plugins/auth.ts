// Who a request says it is, worked out once per request before the rate limit, and the key check
// for admin, retrain and dashboard routes (and predictions when configured).
// A key comes from the `x-api-key` header, from HTTP basic auth (any user name, the key as the
// password: what a browser can be told to send), or from the `brewstream_key` cookie that
// `?api_key=` sets once on a dashboard URL (HttpOnly, SameSite=Strict) so the page's own
// requests carry it. The cookie header is parsed by @fastify/cookie and basic auth by
// @fastify/basic-auth; a malformed one of either is no key, never an error of ours.
// Missing key → 401, wrong key → 403.
import fastifyBasicAuth from '@fastify/basic-auth';
import fastifyCookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeys } from '../apiKeys.js';
import { HttpError } from '../errors.js';

export const KEY_COOKIE = 'brewstream_key';

/**
 * What a request's credentials say: no key, or a key that is valid (`digest` names which
 * configured key, by its SHA-256) or not (`digest` undefined).
 */
export type Credential = { presented: false } | { presented: true; digest: string | undefined };

const NO_KEY: Credential = { presented: false };

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook that refuses requests without a valid API key. */
    requireApiKey: onRequestHookHandler;
  }
  interface FastifyRequest {
    /** Set by an onRequest hook before any route's hooks (the rate limit's included) run. */
    credential: Credential | null;
  }
}

export default fp(
  async (app, options: { keys: ApiKeys }) => {
    const { keys } = options;
    if (!keys.configured) app.log.warn('API_KEYS is empty: admin, retrain and dashboard routes are open');
    const credentialOf = (key: string | undefined): Credential =>
      key === undefined || key === '' ? NO_KEY : { presented: true, digest: keys.match(key) };

    await app.register(fastifyCookie);
    await app.register(fastifyBasicAuth, {
      // Any user name; the password is the key. Whether it is valid is decided below, not here.
      validate(_user, password, request, _reply, done) {
        request.credential = credentialOf(password);
        done();
      },
    });
    const parseBasicAuth = app.basicAuth as onRequestHookHandler;

    app.decorateRequest('credential', null);
    app.addHook('onRequest', (request, reply, done) => {
      const header = request.headers['x-api-key'];
      if (typeof header === 'string' && header !== '') {
        request.credential = credentialOf(header);
        return done();
      }
      const fromCookie = () => credentialOf(request.cookies[KEY_COOKIE]);
      if (request.headers.authorization === undefined) {
        request.credential = fromCookie();
        return done();
      }
      parseBasicAuth.call(app, request, reply, (malformed) => {
        // Not basic auth, or badly formed: no key from this header.
        if (malformed) request.credential = fromCookie();
        done();
      });
    });

    const requireApiKey: onRequestHookHandler = (request: FastifyRequest, reply: FastifyReply, done) => {
      if (!keys.configured) return done();
      const credential = request.credential ?? NO_KEY;
      if (!credential.presented) {
        // Tell a browser it may ask for basic auth; API clients use the header.
        reply.header('www-authenticate', 'Basic realm="brewstream", charset="UTF-8"');
        return done(new HttpError(401, 'unauthorized', 'an API key is required (x-api-key header)'));
      }
      if (credential.digest === undefined)
        return done(new HttpError(403, 'forbidden', 'the API key is not valid'));
      done();
    };
    app.decorate('requireApiKey', requireApiKey);
  },
  { name: 'auth' },
);
