// Security headers (@fastify/helmet) on every answer of the plugin context that registers this:
// the HTML pages' (the dashboard, Swagger UI), refusals included. A Content-Security-Policy that
// allows only this origin's scripts and forbids framing (frame-ancestors 'none', and
// X-Frame-Options DENY for older browsers), X-Content-Type-Options nosniff, Referrer-Policy
// no-referrer; helmet's other defaults stay. Not on the JSON API: a dozen headers on every
// prediction cost CPU and protect nothing a browser renders.
import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

export default fp(
  async (app) => {
    await app.register(helmet, {
      contentSecurityPolicy: {
        directives: {
          'frame-ancestors': ["'none'"],
          // Not on a server that may be reached over plain HTTP (npm start, a trial stack): the
          // browser would rewrite the page's own requests to https.
          'upgrade-insecure-requests': null,
        },
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    });
  },
  { name: 'security-headers' },
);
