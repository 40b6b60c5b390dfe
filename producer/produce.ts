// The producer's modes, built on one step: take beers from a source, log what was skipped and
// why, put the rest. Used by the CLI (producer/main.ts) and the Lambda handler.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { kinesisClient, SDK_RETRIES_OFF } from '../lib/aws.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { toEntry } from './batches.js';
import { putAll } from './putRecords.js';
import { type Beer, bundledBeers, fetchLiveBeers, type SourceBatch, syntheticBeers } from './sources.js';

export interface Totals {
  put: number;
  failed: number;
  skipped: number;
}

export interface ProducerContext {
  config: Config;
  kinesis: KinesisClient;
  logger: Logger;
  /** Aborted on shutdown: a retry wait ends at once and what was not put is reported. */
  signal?: AbortSignal;
}

/** What every producer mode runs with: putAll retries PutRecords itself, so the SDK's retries are off. */
export function producerContext(config: Config, logger: Logger): ProducerContext {
  return { config, kinesis: kinesisClient(config, SDK_RETRIES_OFF), logger };
}

export async function putBatch(ctx: ProducerContext, batch: SourceBatch, label: string): Promise<Totals> {
  for (const { reason } of batch.skipped) ctx.logger.warn({ reason }, 'skipped bad source data');
  let lastLogged = 0;
  const outcome = await putAll(ctx.kinesis, batch.beers.map(toEntry), {
    streamName: ctx.config.streamName,
    maxAttempts: ctx.config.producer.maxAttempts,
    baseBackoffMs: ctx.config.producer.baseBackoffMs,
    logger: ctx.logger,
    signal: ctx.signal,
    onProgress: (put) => {
      // Progress on long replays, not on every five-minute tick.
      if (batch.beers.length >= 1000 && put - lastLogged >= 1000) {
        lastLogged = put;
        ctx.logger.info({ put, of: batch.beers.length }, `${label} progress`);
      }
    },
  });
  const totals = { put: outcome.put, failed: outcome.failed.length, skipped: batch.skipped.length };
  ctx.logger.info({ ...totals, calls: outcome.calls, retried: outcome.retried }, `${label} done`);
  return totals;
}

/** One scheduled tick: the live API (one call per beer wanted) or random bundled beers. */
export async function tick(ctx: ProducerContext): Promise<Totals> {
  const wanted = ctx.config.producer.beersPerTick;
  let batch: SourceBatch;
  if (ctx.config.producer.source === 'api') {
    batch = { beers: [], skipped: [] };
    for (let i = 0; i < wanted; i += 1) {
      const one = await fetchLiveBeers(ctx.config.producer.apiUrl);
      batch.beers.push(...one.beers);
      batch.skipped.push(...one.skipped);
    }
  } else {
    const all = bundledBeers().beers;
    batch = {
      beers: Array.from({ length: wanted }, () => all[Math.floor(Math.random() * all.length)] as Beer),
      skipped: [],
    };
  }
  return putBatch(ctx, batch, 'tick');
}

/** Puts the whole bundled data set once. */
export function replay(ctx: ProducerContext): Promise<Totals> {
  return putBatch(ctx, bundledBeers(), 'replay');
}

/**
 * Load mode for benchmarks and crash tests: `count` synthetic beers at about `rate` records/s,
 * sent in chunks ten times a second so the batching still applies.
 */
export async function load(
  ctx: ProducerContext,
  options: { rate: number; count: number; distinctIds: boolean; shouldStop: () => boolean },
): Promise<Totals> {
  const totals: Totals = { put: 0, failed: 0, skipped: 0 };
  const chunk = Math.max(1, Math.round(options.rate / 10));
  const source = syntheticBeers(options.count, options.distinctIds);
  const started = Date.now();
  let sent = 0;
  while (sent < options.count && !options.shouldStop()) {
    const beers: Beer[] = [];
    while (beers.length < chunk) {
      const next = source.next();
      if (next.done) break;
      beers.push(next.value);
    }
    if (beers.length === 0) break;
    const outcome = await putAll(ctx.kinesis, beers.map(toEntry), {
      streamName: ctx.config.streamName,
      maxAttempts: ctx.config.producer.maxAttempts,
      baseBackoffMs: ctx.config.producer.baseBackoffMs,
      logger: ctx.logger,
      signal: ctx.signal,
    });
    sent += beers.length;
    totals.put += outcome.put;
    totals.failed += outcome.failed.length;
    if (Math.floor(sent / 10_000) !== Math.floor((sent - beers.length) / 10_000)) {
      ctx.logger.info({ put: totals.put, of: options.count }, 'load progress');
    }
    const due = started + (sent / options.rate) * 1000;
    const ahead = due - Date.now();
    if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
  }
  ctx.logger.info({ ...totals, seconds: (Date.now() - started) / 1000 }, 'load done');
  return totals;
}
