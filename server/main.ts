// `brewstream server`: the Fastify app on HOST:PORT, closed gracefully on SIGTERM (in-flight
// requests finish; idle keep-alive sockets close at once).
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { onShutdown } from '../lib/shutdown.js';
import { loadTf } from '../lib/tfjs.js';
import { buildApp } from './app.js';

const CLOSE_GRACE_MS = 10_000;

export async function main(_args: string[]): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('server', { level: config.logLevel });
  const { tf, backend } = await loadTf(config.trainer.backend);
  logger.info({ backend }, 'tfjs ready');
  const app = await buildApp({ config, tf, logger });
  onShutdown(logger, async () => {
    // Requests in flight get CLOSE_GRACE_MS to finish; then the sockets still open are cut.
    const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
    cut.unref();
    await app.close();
    clearTimeout(cut);
  });
  await app.listen({ host: config.server.host, port: config.server.port });
}
