// Requests per minute per client: the API key when one is presented (hashed, so keys do not
// sit in memory as map keys), else the client address.
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';
import { presentedKey } from './auth.js';

export default fp(
  async (app, { perMinute }: { perMinute: number }) => {
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => {
        const key = presentedKey(request);
        return key === undefined
          ? `ip:${request.ip}`
          : `key:${createHash('sha256').update(key).digest('hex')}`;
      },
      errorResponseBuilder: (_request, context) =>
        new HttpError(
          429,
          'rate_limited',
          `more than ${context.max} requests per minute; retry in ${context.after}`,
        ),
    });
  },
  { name: 'rate-limit' },
);
