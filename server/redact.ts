// What of a request may be logged. A dashboard link carries its key as `?api_key=` once, and
// other clients put secrets in query strings too, so a URL is logged with the value of every
// parameter whose name looks secret replaced by [redacted]; headers are never logged.
import type { FastifyRequest } from 'fastify';

const SECRET_NAME = /key|token|secret|passw|pwd|auth|signature|credential|session|cookie/i;

export const REDACTED = '[redacted]';

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** The URL with the value of each secret-looking query parameter replaced; the rest as sent. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const pairs = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return SECRET_NAME.test(decodedName(name)) ? `${name}=${REDACTED}` : pair;
    });
  return `${url.slice(0, start)}?${pairs.join('&')}`;
}

/**
 * pino serializer for `req` in any request-scoped log line (Fastify's own error logs pass the
 * request): method and redacted URL only, where the default would write the URL whole or, with
 * no serializer, the whole request object, headers and keys included.
 */
export function requestForLog(request: Pick<FastifyRequest, 'method' | 'url'>): {
  method: string;
  url: string;
} {
  return { method: request.method, url: redactUrl(request.url) };
}
