// The cleaned table's data-quality summary (docs/design.md "Drift and data quality"): rows, nulls
// and out-of-range values per column, and the rows the data fixes leave out of training. Computed
// with lib/columnStats.ts (arquero) by each compaction, stored in the snapshot's manifest, and by
// each training, stored in the version's metadata.
import { type Static, Type } from 'typebox';
import { CLEANED_COLUMNS, type CleanedRow, type NumericColumn } from './beer.js';
import { columnCounts } from './columnStats.js';
import { hasSuspectTarget } from './features.js';

/**
 * Plausible ranges, inclusive: the API's input bounds (server/routes/predict.schema.ts, physical
 * bounds with headroom over the Punk API data), and for IBU 0-1000 (no beer's stated bitterness is
 * above it; the two Punk API beers over it hold their gravity in that field).
 */
export const PLAUSIBLE_RANGES: Readonly<Record<NumericColumn, readonly [number, number]>> = {
  abv: [0, 70],
  ibu: [0, 1000],
  target_fg: [990, 1200],
  target_og: [990, 1200],
  ebc: [0, 1000],
  srm: [0, 600],
  ph: [0, 14],
};

/** Why a row of the table is not trained on. */
export const EXCLUSIONS = {
  /** No IBU: nothing to learn from. */
  no_ibu: (row: CleanedRow) => row.ibu === null,
  /** IBU equal to the OG (docs/design.md "Data fixes"). */
  ibu_equals_og: hasSuspectTarget,
} as const;

export const tableQualitySchema = Type.Object({
  computedAt: Type.String(),
  rows: Type.Integer({ minimum: 0 }),
  columns: Type.Array(
    Type.Object({
      column: Type.String(),
      nulls: Type.Integer({ minimum: 0 }),
      outOfRange: Type.Integer({ minimum: 0 }),
    }),
  ),
  excluded: Type.Array(Type.Object({ reason: Type.String(), rows: Type.Integer({ minimum: 0 }) })),
});
export type TableQuality = Static<typeof tableQualitySchema>;

export function tableQuality(rows: readonly CleanedRow[], now = new Date()): TableQuality {
  return {
    computedAt: now.toISOString(),
    rows: rows.length,
    columns: columnCounts(rows, CLEANED_COLUMNS, PLAUSIBLE_RANGES),
    excluded: Object.entries(EXCLUSIONS).map(([reason, excludes]) => ({
      reason,
      rows: rows.reduce((n, row) => n + (excludes(row) ? 1 : 0), 0),
    })),
  };
}
