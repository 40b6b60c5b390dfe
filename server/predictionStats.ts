// What the server has been predicting, kept in memory for the operators' page: requests and
// predictions (rows) per minute over the last hour, and the latencies of the last LATENCY_SAMPLES
// prediction requests for their percentiles. Per task: behind a load balancer each task reports
// its own share. Pure bookkeeping, the clock passed in.
import { quantile } from '../lib/stats.js';

export const MINUTES = 60;
export const LATENCY_SAMPLES = 1024;

export interface MinuteCounts {
  /** Start of the minute, epoch ms. */
  minute: number;
  requests: number;
  predictions: number;
  errors: number;
}

export interface PredictionStatsSnapshot {
  /** Oldest first, the current minute last; minutes with no request are zeros. */
  perMinute: MinuteCounts[];
  latencyMs: { samples: number; p50: number | null; p90: number | null; p99: number | null };
  /** The model version of the last prediction answered. */
  lastVersion: string | null;
}

const minuteOf = (ms: number) => Math.floor(ms / 60_000) * 60_000;

export class PredictionStats {
  private readonly minutes = new Map<number, MinuteCounts>();
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private latencyCount = 0;
  private lastVersion: string | null = null;

  /** One prediction request answered: `rows` predictions when it succeeded, none when it failed. */
  record(
    atMs: number,
    latencyMs: number,
    outcome: { rows: number; version: string | null; ok: boolean },
  ): void {
    const minute = minuteOf(atMs);
    let counts = this.minutes.get(minute);
    if (!counts) {
      counts = { minute, requests: 0, predictions: 0, errors: 0 };
      this.minutes.set(minute, counts);
      for (const old of this.minutes.keys()) if (old <= minute - MINUTES * 60_000) this.minutes.delete(old);
    }
    counts.requests += 1;
    if (outcome.ok) {
      counts.predictions += outcome.rows;
      this.latencies[this.latencyCount % LATENCY_SAMPLES] = latencyMs;
      this.latencyCount += 1;
      if (outcome.version !== null) this.lastVersion = outcome.version;
    } else counts.errors += 1;
  }

  snapshot(nowMs: number): PredictionStatsSnapshot {
    const current = minuteOf(nowMs);
    const perMinute: MinuteCounts[] = [];
    for (let m = current - (MINUTES - 1) * 60_000; m <= current; m += 60_000)
      perMinute.push(this.minutes.get(m) ?? { minute: m, requests: 0, predictions: 0, errors: 0 });
    const samples = Math.min(this.latencyCount, LATENCY_SAMPLES);
    const sorted = Array.from(this.latencies.subarray(0, samples)).sort((a, b) => a - b);
    const at = (q: number) => (samples === 0 ? null : Math.round(quantile(sorted, q) * 1000) / 1000);
    return {
      perMinute,
      latencyMs: { samples, p50: at(0.5), p90: at(0.9), p99: at(0.99) },
      lastVersion: this.lastVersion,
    };
  }
}
