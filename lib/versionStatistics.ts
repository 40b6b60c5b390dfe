// What a training adds to its version's metadata for drift and data quality (docs/design.md
// "Drift and data quality"): the training split's distribution of each input, as a request would
// send it (before the data fixes), and the data-quality summary of the table it read.
import type { CleanedRow } from './beer.js';
import { type InputReference, inputReference } from './drift.js';
import { FEATURES } from './features.js';
import { type TableQuality, tableQuality } from './tableQuality.js';

export function versionStatistics(
  trainRows: readonly CleanedRow[],
  tableRows: readonly CleanedRow[],
  now = new Date(),
): { reference: InputReference; quality: TableQuality } {
  return { reference: inputReference(trainRows, FEATURES), quality: tableQuality(tableRows, now) };
}
