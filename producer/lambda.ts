// The producer on AWS: an EventBridge schedule invokes this every five minutes for one tick.
// Invoked by hand with {"replay": true} it puts the whole bundled data set once, which is how a
// fresh deployment gets enough beers to train its first model (README "Deploy to AWS").
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { type ProducerContext, producerContext, replay, type Totals, tick } from './produce.js';

let ctx: ProducerContext | undefined;

/** What an invocation asks for: a scheduled event (any object without `replay`) is one tick. */
export function invocationMode(event: unknown): 'tick' | 'replay' {
  if (event === null || typeof event !== 'object' || !('replay' in event)) return 'tick';
  // `in` has narrowed the event to an object with a `replay` field of unknown type; check it.
  const value = event.replay;
  if (typeof value !== 'boolean') {
    throw new Error(`replay: expected true or false, got ${JSON.stringify(value)}`);
  }
  return value ? 'replay' : 'tick';
}

export async function handler(event?: unknown): Promise<Totals> {
  const mode = invocationMode(event);
  if (!ctx) {
    // Created once per Lambda container and reused across invocations.
    const config = loadConfig();
    ctx = producerContext(config, createLogger('producer', { level: config.logLevel }));
  }
  const totals = mode === 'replay' ? await replay(ctx) : await tick(ctx);
  if (totals.failed > 0) throw new Error(`${totals.failed} record(s) were not put after retries`);
  return totals;
}
