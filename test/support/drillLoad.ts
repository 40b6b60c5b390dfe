// What runs alongside a failure drill's fault: the producer putting beers with distinct ids, a
// sampler of the consumer's checkpoints, a client of the server, and the wait for the table.
import assert from 'node:assert/strict';
import { s3Client } from '../../lib/aws.js';
import { createRedis } from '../../lib/redis.js';
import { toEntry } from '../../producer/batches.js';
import { producerContext } from '../../producer/produce.js';
import { putAll } from '../../producer/putRecords.js';
import { syntheticBeers } from '../../producer/sources.js';
import { capturingLogger } from './capture.js';
import { cleanedObjects } from './census.js';
import type { DrillStack } from './drillStack.js';
import { sleep, until, waitFor } from './wait.js';

/**
 * Puts `count` beers with ids from `firstId` in chunks of `chunk`, `gapMs` apart, retrying through
 * an outage (a generous budget: the drill's faults last about 10 s). Returns the ids put.
 */
export async function produce(
  stack: DrillStack,
  options: { firstId: number; count: number; chunk?: number; gapMs?: number },
): Promise<number[]> {
  const { logger } = capturingLogger();
  const ctx = producerContext(stack.config, logger);
  const beers = [...syntheticBeers(options.count, true, options.firstId)];
  const chunk = options.chunk ?? 100;
  for (let i = 0; i < beers.length; i += chunk) {
    const outcome = await putAll(ctx.kinesis, beers.slice(i, i + chunk).map(toEntry), {
      streamName: stack.config.streamName,
      maxAttempts: 40,
      baseBackoffMs: 100,
      logger,
    });
    assert.deepEqual(outcome.failed, [], 'the producer put every record');
    await sleep(options.gapMs ?? 100);
  }
  ctx.kinesis.destroy();
  return beers.map((beer) => beer.id as number);
}

/** Reads every shard's checkpoint every 250 ms while Redis answers; stop() returns all values seen. */
export function sampleCheckpoints(stack: DrillStack) {
  const redis = createRedis(stack.redis.url, { enableOfflineQueue: false });
  redis.on('error', () => {});
  const prefix = `kcl:${stack.config.consumer.applicationName}:${stack.config.streamName}:checkpoint:`;
  const seen: Array<{ shardId: string; value: string }> = [];
  const sample = async () => {
    const keys = await redis.keys(`${prefix}*`);
    for (const key of keys) {
      const value = await redis.get(key);
      if (value) seen.push({ shardId: key.slice(prefix.length), value });
    }
  };
  const timer = setInterval(() => void sample().catch(() => {}), 250);
  let stopped = false;
  const stop = async () => {
    if (stopped) return seen;
    stopped = true;
    clearInterval(timer);
    await sample();
    redis.disconnect();
    return seen;
  };
  stack.onClose(() => {
    clearInterval(timer);
    redis.disconnect();
  });
  return { stop };
}

/**
 * Asks the server for /health and a page of /table every 300 ms; stop() returns when it first
 * answered and what failed from then on.
 */
export function watchServer(stack: DrillStack, port: number) {
  const failures: string[] = [];
  let requests = 0;
  let firstOk: number | undefined;
  const ask = async (route: string) => {
    requests += 1;
    try {
      const response = await fetch(`http://127.0.0.1:${port}${route}`, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      if (response.status === 200) firstOk ??= Date.now();
      else if (firstOk !== undefined)
        failures.push(`${new Date().toISOString()} ${route}: ${response.status}`);
    } catch (error) {
      // Before its first answer the server is still starting: a refused connection is not a failure.
      if (firstOk !== undefined)
        failures.push(
          `${new Date().toISOString()} ${route}: ${(error as Error).name} ${(error as Error).message}`,
        );
    }
  };
  const timer = setInterval(() => {
    void ask('/health');
    void ask('/table?limit=1');
  }, 300);
  stack.onClose(() => clearInterval(timer));
  return {
    stop() {
      clearInterval(timer);
      return { requests, failures, firstOk };
    },
  };
}

export async function waitForServer(port: number, timeoutMs = 60_000): Promise<void> {
  await until(
    `the server on ${port} to answer /health`,
    async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok === true,
    timeoutMs,
    250,
  );
}

/** Waits until every id is in some cleaned object (S3 must answer). */
export async function waitForIds(stack: DrillStack, ids: number[], timeoutMs = 120_000): Promise<void> {
  const s3 = s3Client(stack.config);
  const missing = async () => {
    const seen = new Set<number>();
    try {
      for (const object of await cleanedObjects(s3, stack.config.buckets.cleaned))
        for (const id of object.ids) seen.add(id);
    } catch {
      // S3 away for a moment
    }
    return ids.filter((id) => !seen.has(id)).length;
  };
  try {
    await waitFor(
      (left) => `the ${left} of ${ids.length} ids not yet in the cleaned table`,
      missing,
      (left) => left === 0,
      timeoutMs,
      500,
    );
  } finally {
    s3.destroy();
  }
}
