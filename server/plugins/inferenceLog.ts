// The inference log (docs/design.md "Inference log"): every prediction row, single and batch, is
// kept in memory and written to S3 as newline-delimited JSON, never with a round trip per request:
// an object once INFERENCE_LOG_FLUSH_ROWS rows wait or the oldest has waited
// INFERENCE_LOG_FLUSH_MS, and whatever waits when the app closes (SIGTERM). A write that fails
// keeps its rows for the next one; past INFERENCE_LOG_MAX_ROWS the oldest are dropped, counted and
// warned about. Logging never fails a prediction. The newest INFERENCE_LOG_WINDOW_ROWS rows stay
// in memory too, for /predictions/recent and the drift window.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../lib/config.js';
import { type FeatureInput, imputed } from '../../lib/features.js';
import { putObject } from '../../lib/s3.js';
import { bitternessOf } from '../bitterness.js';
import {
  BoundedBuffer,
  type LoggedLine,
  type LogRow,
  loggedLine,
  logObjects,
  parseLogged,
  RecentWindow,
  rowsToWrite,
} from '../inferenceBuffer.js';

export interface InferenceLog {
  /** This process's name in the object keys. */
  readonly instance: string;
  /** Logs the rows of one answered prediction request. Never throws. */
  record(
    request: FastifyRequest,
    reply: FastifyReply,
    rows: readonly FeatureInput[],
    ibu: ArrayLike<number>,
    version: string,
  ): void;
  /** The newest `limit` rows, newest first. */
  recent(limit: number): LogRow[];
  /** Every row in the window, oldest first. */
  window(): LogRow[];
  /** Rows dropped since start because S3 could not take them in time. */
  readonly dropped: number;
  /** Rows waiting to be written. */
  readonly waiting: number;
  /** Writes every row waiting now, after any write in flight (what a flush by age or a close does). */
  flush(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    inferenceLog: InferenceLog;
  }
}

/** A failed write is tried again after this long at most (sooner when the age bound is shorter). */
const RETRY_AFTER_MS = 5000;

/** The process's name in keys: the host (a task's, on ECS) and a random part, key-safe. */
function instanceName(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9-]/g, '-')
      .slice(0, 40) || 'host';
  return `${host}-${randomBytes(3).toString('hex')}`;
}

export default fp(
  async (app, { config }: { config: Config }) => {
    // `enabled` is read at each prediction: the server benchmark turns the log off and on in one
    // process to measure what it costs (bench/server.ts).
    const settings = config.inferenceLog;
    const { flushRows, flushMs, maxRows, windowRows } = settings;
    const bucket = config.buckets.cleaned;
    const instance = instanceName();
    const buffer = new BoundedBuffer<LoggedLine>(maxRows);
    const recentRows = new RecentWindow<LoggedLine>(windowRows);
    const log = app.log.child({ component: 'inference-log' });
    let seq = 0;
    let retryAtMs = 0;
    let flushing: Promise<void> | undefined;

    const warnDropped = (dropped: number) => {
      if (dropped > 0)
        log.warn(
          { inferenceLogDropped: dropped, droppedTotal: buffer.dropped, maxRows },
          `inference log: ${dropped} rows dropped (the oldest), S3 has not taken them and ${maxRows} rows wait`,
        );
    };

    /** Writes `count` of the oldest waiting rows, one object per flushRows rows and date, until done or a write fails. */
    const writeWaiting = async (count: number): Promise<void> => {
      let left = count;
      while (left > 0 && buffer.size > 0) {
        const rows = buffer.take(Math.min(flushRows, left));
        left -= rows.length;
        const objects = logObjects(rows, instance);
        for (const [i, object] of objects.entries()) {
          try {
            await putObject(app.s3, bucket, object.key, object.body, 'application/x-ndjson');
          } catch (error) {
            const unwritten = objects.slice(i).flatMap((o) => o.rows);
            retryAtMs = Date.now() + Math.min(RETRY_AFTER_MS, flushMs);
            log.warn(
              { err: error, waiting: unwritten.length + buffer.size },
              'inference log: could not write to S3; the rows wait for the next write',
            );
            warnDropped(buffer.giveBack(unwritten));
            return;
          }
        }
      }
    };

    /** Writes `count` rows (by default every row waiting now) unless a write is in flight. */
    const flush = (count = buffer.size): Promise<void> => {
      flushing ??= writeWaiting(count).finally(() => {
        flushing = undefined;
      });
      return flushing;
    };

    const flushIfDue = () => {
      if (flushing) return;
      const state = {
        rows: buffer.size,
        oldestAtMs: buffer.oldest && Date.parse(buffer.oldest.time),
        retryAtMs,
      };
      const count = rowsToWrite(state, Date.now(), { flushRows, flushMs });
      if (count > 0) void flush(count);
    };

    const record: InferenceLog['record'] = (request, reply, rows, ibu, version) => {
      if (!settings.enabled) return;
      try {
        const time = new Date().toISOString();
        const latencyMs = Math.round(reply.elapsedTime * 1000) / 1000;
        const credential = request.credential;
        const keyDigest = credential?.presented && credential.digest ? credential.digest.slice(0, 12) : null;
        const served = app.models.metadata;
        const preprocessing = served?.version === version ? served.preprocessing : undefined;
        const first = seq + 1;
        seq += rows.length;
        const logged = rows.map((inputs, i): LoggedLine => {
          const value = ibu[i] as number;
          return loggedLine({
            seq: first + i,
            time,
            requestId: request.id,
            version,
            inputs,
            features: preprocessing ? imputed(inputs, preprocessing) : null,
            ibu: value,
            band: bitternessOf(value),
            latencyMs,
            keyDigest,
            instance,
          });
        });
        for (const row of logged) recentRows.add(row);
        warnDropped(buffer.push(...logged));
        // A write by size is started off the request's path.
        if (buffer.size >= flushRows && !flushing && Date.now() >= retryAtMs) setImmediate(flushIfDue);
      } catch (error) {
        log.warn({ err: error }, 'inference log: a prediction could not be logged');
      }
    };

    const timer = setInterval(flushIfDue, Math.max(25, Math.min(1000, Math.floor(flushMs / 4))));
    timer.unref();

    app.decorate('inferenceLog', {
      instance,
      record,
      recent: (limit: number) => recentRows.newest(limit).map(parseLogged),
      window: () => recentRows.all().map(parseLogged),
      get dropped() {
        return buffer.dropped;
      },
      get waiting() {
        return buffer.size;
      },
      flush: async () => {
        await flushing;
        await flush();
      },
    } satisfies InferenceLog);

    // After the requests in flight are answered (Fastify closes the server first), before the S3
    // client is destroyed (the s3 plugin's onClose was added before this one, and runs after it).
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await flushing;
      retryAtMs = 0;
      await flush();
      if (buffer.size > 0)
        log.error(
          { inferenceLogLost: buffer.size, droppedTotal: buffer.dropped },
          'inference log: rows not written at close are lost',
        );
      else log.info({ instance, rows: seq, dropped: buffer.dropped }, 'inference log flushed');
    });
  },
  { name: 'inference-log', dependencies: ['s3', 'model-holder', 'auth'] },
);
