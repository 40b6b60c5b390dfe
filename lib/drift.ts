// Input drift (docs/design.md "Drift and data quality"): the training distribution of each input
// feature, stored in a model version's metadata, and the population stability index (PSI) of a
// window of logged inputs against it. Pure functions; the statistics come from lib/columnStats.ts.
//
// PSI = Σ (a − e) · ln(a / e) over bins, e the reference share of a bin and a the window's. The
// bins are the reference's distinct deciles (a value v falls in the first bin whose upper edge is
// ≥ v, the last bin being open) plus one bin for a missing value, so a feature that starts
// arriving empty drifts as surely as one that moves. A share of 0 is floored at EMPTY_SHARE, or one
// empty bin would make the index infinite.
import { type Static, Type } from 'typebox';
import { columnStats, QUANTILE_PROBS, type Records } from './columnStats.js';

export const EMPTY_SHARE = 1e-4;

export const featureReferenceSchema = Type.Object({
  count: Type.Integer({ minimum: 0 }),
  missing: Type.Integer({ minimum: 0 }),
  missingShare: Type.Number(),
  /** At QUANTILE_PROBS (the deciles with the minimum and maximum); null when no row had a value. */
  quantiles: Type.Union([Type.Array(Type.Number()), Type.Null()]),
  /** Upper edges of the bins (the last bin is open) and the share of present values in each. */
  bins: Type.Object({ edges: Type.Array(Type.Number()), shares: Type.Array(Type.Number()) }),
});
export type FeatureReference = Static<typeof featureReferenceSchema>;

/** Per input feature, on the rows a version was trained on (metadata.json `reference`). */
export const inputReferenceSchema = Type.Object({
  rows: Type.Integer({ minimum: 0 }),
  quantileProbs: Type.Array(Type.Number()),
  features: Type.Record(Type.String(), featureReferenceSchema),
});
export type InputReference = Static<typeof inputReferenceSchema>;

/** The distinct inner deciles: the upper edges of every bin but the last, open one. */
export function binEdges(quantiles: readonly number[] | null): number[] {
  if (!quantiles) return [];
  const inner = quantiles.slice(1, -1);
  return inner.filter((q, i) => i === 0 || q !== inner[i - 1]);
}

/** Index of the bin `value` falls in: the first edge ≥ value, else the last (open) bin. */
export function binOf(value: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) >= value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const present = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The share of present values in each of the edges.length + 1 bins (all 0 with none present). */
export function binShares(values: readonly unknown[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let n = 0;
  for (const value of values) {
    if (!present(value)) continue;
    const bin = binOf(value, edges);
    counts[bin] = (counts[bin] as number) + 1;
    n += 1;
  }
  return counts.map((c) => (n === 0 ? 0 : c / n));
}

/** The reference of each feature over `rows` (the training split's inputs, as a request sends them). */
export function inputReference(rows: Records, features: readonly string[]): InputReference {
  const stats = columnStats(rows, features);
  const out: InputReference = { rows: rows.length, quantileProbs: [...QUANTILE_PROBS], features: {} };
  for (const feature of features) {
    const s = stats[feature];
    if (!s) continue;
    const edges = binEdges(s.quantiles);
    out.features[feature] = {
      ...s,
      bins: {
        edges,
        shares: binShares(
          rows.map((r) => r[feature]),
          edges,
        ),
      },
    };
  }
  return out;
}

/** PSI of two distributions over the same bins (each summing to 1, or to 0 for none). */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  let total = 0;
  expected.forEach((e0, i) => {
    const e = Math.max(e0, EMPTY_SHARE);
    const a = Math.max(actual[i] ?? 0, EMPTY_SHARE);
    total += (a - e) * Math.log(a / e);
  });
  return total;
}

/** PSI of one feature's window values against its reference, the missing bin included; null for no values. */
export function featurePsi(reference: FeatureReference, values: readonly unknown[]): number | null {
  if (values.length === 0) return null;
  const missing = values.filter((v) => !present(v)).length / values.length;
  const { edges, shares } = reference.bins;
  const window = binShares(values, edges);
  const expected = [...shares.map((s) => s * (1 - reference.missingShare)), reference.missingShare];
  const actual = [...window.map((s) => s * (1 - missing)), missing];
  return psi(expected, actual);
}

export interface DriftReport {
  version: string | null;
  window: { from: string | null; to: string | null; rows: number };
  threshold: number;
  drift: boolean;
  features: Array<{ feature: string; psi: number | null; drift: boolean }>;
}

export interface DriftInput {
  version: string | null;
  /** The champion's reference; undefined for a version trained before references existed. */
  reference: InputReference | undefined;
  /** The window's rows, oldest first: each request row's inputs and when it was logged. */
  window: ReadonlyArray<{ time: string; inputs: Readonly<Record<string, unknown>> }>;
  threshold: number;
  /** Fewer rows than this never count as drift: a handful of requests says little of a distribution. */
  minRows: number;
}

/** The drift of each referenced feature over the window, and whether any crosses the threshold. */
export function driftReport({ version, reference, window, threshold, minRows }: DriftInput): DriftReport {
  const rows = window.length;
  const enough = rows >= minRows && rows > 0;
  const features = Object.entries(reference?.features ?? {}).map(([feature, ref]) => {
    const value = featurePsi(
      ref,
      window.map((r) => r.inputs[feature]),
    );
    const rounded = value === null ? null : Math.round(value * 10_000) / 10_000;
    return { feature, psi: rounded, drift: enough && value !== null && value >= threshold };
  });
  return {
    version,
    window: { from: window[0]?.time ?? null, to: window[rows - 1]?.time ?? null, rows },
    threshold,
    drift: features.some((f) => f.drift),
    features,
  };
}
