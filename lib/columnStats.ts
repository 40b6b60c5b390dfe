// Column statistics with arquero (docs/design.md "Drift and data quality"): per column the row
// count, the missing values and their share, and quantiles; and per column the nulls and the
// values outside a plausible range. One implementation for the trainer's reference distribution
// of each input, the server's drift window and the cleaned table's data-quality summary.
// arquero is the tool made for column aggregates over tables of records; `npm run bench -- stats`
// measures it against the obvious hand-written loop.
import * as aq from 'arquero';

/** The quantiles kept per column: the deciles, minimum and maximum included. */
export const QUANTILE_PROBS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export interface ColumnStats {
  /** Rows in all. */
  count: number;
  /** Rows whose value is null, absent or NaN. */
  missing: number;
  /** missing ÷ count; 0 for no rows. */
  missingShare: number;
  /** The value at each of QUANTILE_PROBS (linear interpolation); null when no row has a value. */
  quantiles: number[] | null;
}

export type Records = readonly Readonly<Record<string, unknown>>[];

/** The columns of `rows` as an arquero table, every missing value a null. */
function tableOf(rows: Records, columns: readonly string[]): aq.ColumnTable {
  return aq.table(Object.fromEntries(columns.map((c) => [c, rows.map((row) => numberOrNull(row[c]))])));
}

const numberOrNull = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** A column name inside an arquero expression, whatever characters it holds. */
const field = (column: string) => `d[${JSON.stringify(column)}]`;

/** Count, missing values and quantiles of each column. */
export function columnStats(rows: Records, columns: readonly string[]): Record<string, ColumnStats> {
  const out: Record<string, ColumnStats> = {};
  if (rows.length === 0) {
    for (const c of columns) out[c] = { count: 0, missing: 0, missingShare: 0, quantiles: null };
    return out;
  }
  const aggregates: Record<string, string> = {};
  columns.forEach((c, i) => {
    aggregates[`v${i}`] = `d => op.valid(${field(c)})`;
    QUANTILE_PROBS.forEach((p, j) => {
      aggregates[`q${i}_${j}`] = `d => op.quantile(${field(c)}, ${p})`;
    });
  });
  const [summary] = tableOf(rows, columns).rollup(aggregates).objects() as Record<string, unknown>[];
  columns.forEach((c, i) => {
    const valid = Number(summary?.[`v${i}`] ?? 0);
    const missing = rows.length - valid;
    out[c] = {
      count: rows.length,
      missing,
      missingShare: missing / rows.length,
      quantiles: valid === 0 ? null : QUANTILE_PROBS.map((_, j) => Number(summary?.[`q${i}_${j}`])),
    };
  });
  return out;
}

export interface ColumnCounts {
  column: string;
  nulls: number;
  /** Values outside the column's range (none without a range). */
  outOfRange: number;
}

/** Nulls of each column, and values outside `ranges[column]` (inclusive bounds) where one is given. */
export function columnCounts(
  rows: Records,
  columns: readonly string[],
  ranges: Readonly<Record<string, readonly [number, number]>>,
): ColumnCounts[] {
  if (rows.length === 0) return columns.map((column) => ({ column, nulls: 0, outOfRange: 0 }));
  const aggregates: Record<string, string> = {};
  columns.forEach((c, i) => {
    aggregates[`v${i}`] = `d => op.valid(${field(c)})`;
    const range = ranges[c];
    if (range) {
      const [lo, hi] = range;
      // A null compares false both ways, so it is a null, never out of range.
      aggregates[`o${i}`] = `d => op.sum(${field(c)} < ${lo} || ${field(c)} > ${hi} ? 1 : 0)`;
    }
  });
  // Names and strings count as present; only numbers are ranged.
  const table = aq.table(
    Object.fromEntries(
      columns.map((c) => [c, rows.map((row) => (ranges[c] ? numberOrNull(row[c]) : row[c]))]),
    ),
  );
  const [summary] = table.rollup(aggregates).objects() as Record<string, unknown>[];
  return columns.map((column, i) => ({
    column,
    nulls: rows.length - Number(summary?.[`v${i}`] ?? 0),
    outOfRange: Number(summary?.[`o${i}`] ?? 0),
  }));
}
