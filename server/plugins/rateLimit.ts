// Requests per minute per client: a valid API key is a client, named by its SHA-256 digest (so
// keys do not sit in memory as map keys); anything else, a made-up key included, is its address.
// Counting made-up keys as their own clients would let anyone buy a fresh bucket per request.
// The address is request.ip, which believes X-Forwarded-For only through TRUST_PROXY hops (app.ts).
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';

/** The rate-limit bucket of a request (the auth plugin has set its credential). */
export function clientOf(request: FastifyRequest): string {
  const credential = request.credential;
  if (credential?.presented && credential.digest !== undefined) return `key:${credential.digest}`;
  return `ip:${request.ip}`;
}

export default fp(
  async (app, { perMinute }: { perMinute: number }) => {
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: clientOf,
      errorResponseBuilder: (_request, context) =>
        new HttpError(
          429,
          'rate_limited',
          `more than ${context.max} requests per minute; retry in ${context.after}`,
        ),
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);
