// The producer on AWS: an EventBridge schedule invokes this every five minutes for one tick.
import { kinesisClient } from '../lib/aws.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { type ProducerContext, type Totals, tick } from './produce.js';

let ctx: ProducerContext | undefined;

export async function handler(): Promise<Totals> {
  if (!ctx) {
    // Created once per Lambda container and reused across invocations.
    const config = loadConfig();
    ctx = {
      config,
      kinesis: kinesisClient(config),
      logger: createLogger('producer', { level: config.logLevel }),
    };
  }
  const totals = await tick(ctx);
  if (totals.failed > 0) throw new Error(`${totals.failed} record(s) were not put after retries`);
  return totals;
}
