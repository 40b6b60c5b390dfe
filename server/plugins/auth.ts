// Who a request says it is, worked out once per request before the rate limit, and the key check
// for admin, retrain and dashboard routes (and predictions when configured).
// A key comes from the `x-api-key` header or from HTTP basic auth (any user name, the key as the
// password: what a browser can be told to send); basic auth is parsed by @fastify/basic-auth, and
// a malformed header is no key, never an error of ours. Nothing else is a key here: the
// dashboard's session cookie is honoured only under its own path (plugins/session.ts).
// Missing key → 401, wrong key → 403, keys not read yet from their store → 503.
import fastifyBasicAuth from '@fastify/basic-auth';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeys } from '../apiKeys.js';
import { HttpError } from '../errors.js';

/**
 * What a request's credentials say: no key, or a key that is valid (`digest` names which key, by
 * its SHA-256) or not (`digest` undefined).
 */
export type Credential = { presented: false } | { presented: true; digest: string | undefined };

export const NO_KEY: Credential = { presented: false };

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook that refuses requests without a valid API key. */
    requireApiKey: onRequestHookHandler;
  }
  interface FastifyRequest {
    /** Set by an onRequest hook at the root, before any other hook (the rate limit's included). */
    credential: Credential | null;
  }
}

export default fp(
  async (app, options: { keys: ApiKeys }) => {
    const { keys } = options;
    if (!keys.required) app.log.warn('API_KEYS is empty: admin, retrain and dashboard routes are open');

    let basicPassword: string | undefined;
    await app.register(fastifyBasicAuth, {
      // Any user name; the password is the key. Whether it is valid is decided below, not here.
      validate(_user, password, _request, _reply, done) {
        basicPassword = password;
        done();
      },
    });
    const parseBasicAuth = app.basicAuth as onRequestHookHandler;
    /** The password of a well-formed basic auth header, or undefined. */
    const fromBasicAuth = (request: FastifyRequest, reply: FastifyReply) =>
      new Promise<string | undefined>((resolve) => {
        basicPassword = undefined;
        // validate runs synchronously inside the call, so basicPassword is this request's.
        parseBasicAuth.call(app, request, reply, (malformed) =>
          resolve(malformed ? undefined : basicPassword),
        );
      });

    app.decorateRequest('credential', null);
    app.addHook('onRequest', async (request, reply) => {
      const header = request.headers['x-api-key'];
      let key = typeof header === 'string' && header !== '' ? header : undefined;
      if (key === undefined && request.headers.authorization !== undefined)
        key = await fromBasicAuth(request, reply);
      request.credential =
        key === undefined || key === '' ? NO_KEY : { presented: true, digest: await keys.resolve(key) };
    });

    const requireApiKey: onRequestHookHandler = (request: FastifyRequest, reply: FastifyReply, done) => {
      if (!keys.required) return done();
      try {
        keys.current();
      } catch (error) {
        return done(error as Error);
      }
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
