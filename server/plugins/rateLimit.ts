// Requests per minute per client, counted at the root before any key check, so every request
// counts: a 401 or 403, /docs, a 404, a dashboard login. /health and /ready are exempt (the load
// balancer's and ECS's checks). A valid API key is a client, named by its SHA-256 digest (so keys
// do not sit in memory as map keys); anything else, a made-up key included, is its address.
// Counting made-up keys as their own clients would let anyone buy a fresh bucket per request.
// The address is request.ip, which believes X-Forwarded-For only through TRUST_PROXY hops (app.ts).
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';

const EXEMPT = new Set(['/health', '/ready']);

/** The rate-limit bucket of a request (the auth plugin has set its credential). */
export function clientOf(request: FastifyRequest): string {
  const credential = request.credential;
  if (credential?.presented && credential.digest !== undefined) return `key:${credential.digest}`;
  return `ip:${request.ip}`;
}

export default fp(
  async (app, { perMinute }: { perMinute: number }) => {
    await app.register(rateLimit, {
      // Not per route (a route's own onRequest hook runs after its plugin's key check): one hook
      // at the root, added below after the auth plugin's.
      global: false,
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: clientOf,
      allowList: (request) => EXEMPT.has(request.routeOptions.url ?? ''),
      errorResponseBuilder: (_request, context) =>
        new HttpError(
          429,
          'rate_limited',
          `more than ${context.max} requests per minute; retry in ${context.after}`,
        ),
    });
    app.addHook('onRequest', app.rateLimit());
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);
