import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** A KCL record processor's stdout is the MultiLang protocol channel, so it logs to stderr. */
  stream?: 'stdout' | 'stderr';
}

/** pino JSON (what CloudWatch reads as is); pretty only when a person is watching a terminal. */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const fd = options.stream === 'stderr' ? 2 : 1;
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const tty = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  if (tty && process.env.LOG_PRETTY !== 'false') {
    return pino({
      name,
      level,
      transport: { target: 'pino-pretty', options: { destination: fd, colorize: true } },
    });
  }
  return pino({ name, level }, pino.destination({ fd, sync: fd === 2 }));
}
