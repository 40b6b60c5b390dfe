// `brewstream producer [--replay] [--schedule] [--once] [--rate N --count N [--distinct-ids]]`
// With no mode it runs the schedule, as the original CloudWatch Event did every five minutes.
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { onShutdown } from '../lib/shutdown.js';
import { load, type ProducerContext, producerContext, replay, tick } from './produce.js';

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got "${value}"`);
  return n;
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      replay: { type: 'boolean', default: false },
      schedule: { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
      rate: { type: 'string' },
      count: { type: 'string' },
      'distinct-ids': { type: 'boolean', default: false },
    },
  });
  const rate = positive('rate', values.rate);
  const count = positive('count', values.count);
  if ((rate === undefined) !== (count === undefined)) throw new Error('--rate and --count go together');

  const config = loadConfig();
  const logger = createLogger('producer', { level: config.logLevel });
  const stop = new AbortController();
  const ctx: ProducerContext = { ...producerContext(config, logger), signal: stop.signal };
  let stopping = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  onShutdown(logger, async () => {
    stopping = true;
    clearTimeout(timer);
    stop.abort(); // a batch waiting to retry reports what it has not put instead of waiting
    await inFlight; // finish the batch in hand
    ctx.kinesis.destroy();
  });

  if (rate !== undefined && count !== undefined) {
    inFlight = load(ctx, { rate, count, distinctIds: values['distinct-ids'], shouldStop: () => stopping });
    await inFlight;
  }
  if (values.replay) {
    inFlight = replay(ctx);
    await inFlight;
  }
  if (values.once) {
    inFlight = tick(ctx);
    await inFlight;
  }
  const scheduled = values.schedule || (!values.replay && !values.once && rate === undefined);
  if (!scheduled) {
    ctx.kinesis.destroy();
    return;
  }
  const intervalMs = config.producer.intervalS * 1000;
  logger.info(
    { everySeconds: config.producer.intervalS, source: config.producer.source },
    'schedule started',
  );
  const next = () => {
    if (stopping) return;
    inFlight = tick(ctx)
      .catch((error) => logger.error({ err: error }, 'tick failed'))
      .finally(() => {
        if (!stopping) timer = setTimeout(next, intervalMs);
      });
  };
  timer = setTimeout(next, intervalMs);
  await new Promise(() => {}); // runs until a signal
}
