import type { Logger } from './logger.js';

/**
 * Runs the handlers once, in order, on the first SIGTERM or SIGINT, then exits. A second signal
 * while shutting down exits at once, so a stuck handler never traps an operator.
 */
export function onShutdown(logger: Logger, ...handlers: Array<() => Promise<void> | void>): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    let code = 0;
    for (const handler of handlers) {
      try {
        await handler();
      } catch (error) {
        code = 1;
        logger.error({ err: error }, 'error during shutdown');
      }
    }
    logger.flush?.();
    process.exit(code);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
