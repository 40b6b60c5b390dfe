import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';

/** Listens on a free loopback port and returns the base URL (`http://127.0.0.1:<port>`). */
export async function listenLocal(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object', 'the server listens on a TCP port');
  return `http://127.0.0.1:${address.port}`;
}
