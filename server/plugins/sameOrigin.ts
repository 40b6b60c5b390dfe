// A request that changes something (any method but GET, HEAD and OPTIONS) and says it comes from a
// page of another origin is refused with a 403 naming that origin: a browser attaches basic auth or
// the dashboard's session cookie to a request a foreign page makes, and this is where that ends.
// Requests without an Origin header (curl, scripts, SDKs) pass; the server's own origin is the
// scheme and host the request came to (behind the ALB its X-Forwarded-Proto, through TRUST_PROXY).
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The Origin to refuse, or undefined: a state-changing request from an origin that is not `own`. */
export function foreignOrigin(method: string, origin: string | undefined, own: string): string | undefined {
  if (SAFE.has(method) || origin === undefined) return undefined;
  try {
    if (new URL(origin).origin === new URL(own).origin) return undefined;
  } catch {
    // `null` (a sandboxed or privacy-redirected page), or not a URL: not this server.
  }
  return origin;
}

export default fp(
  async (app) => {
    app.addHook('onRequest', (request, _reply, done) => {
      const origin = request.headers.origin;
      if (origin === undefined) return done();
      const own = `${request.protocol}://${request.host}`;
      const foreign = foreignOrigin(request.method, origin, own);
      if (foreign === undefined) return done();
      done(
        new HttpError(
          403,
          'cross_origin',
          `a ${request.method} from origin ${JSON.stringify(foreign.slice(0, 200))} is refused: only pages of ${own} may change anything here`,
          'origin',
        ),
      );
    });
  },
  { name: 'same-origin' },
);
