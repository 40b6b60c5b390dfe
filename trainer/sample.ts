// The training set of bounded size (docs/design.md "Training set"). A table of at most
// TRAIN_MAX_ROWS rows is used whole, as before the cap. A larger one gives one row per recipe group
// (the latest to arrive: copies of a recipe add no evidence, and a beer's IBU does not drift with
// time), and at most TRAIN_MAX_ROWS groups, drawn without replacement with weights that halve every
// TRAIN_RECENCY_HALF_LIFE_DAYS of the group's age, so recent recipes are favoured but old ones
// still appear. The draw is an exponential race (Efraimidis and Spirakis' weighted sampling:
// the smallest -ln(u)/w win), u a hash of the group and the seed, so the same table gives the same
// set, and it runs over rows streamed in any order in memory bounded by the cap.
import { createHash } from 'node:crypto';
import type { CleanedRow } from '../lib/beer.js';
import { hasSuspectTarget } from '../lib/features.js';
import { arrivalMs } from '../lib/tableSnapshot.js';
import { hasTarget } from './dataset.js';
import { recipeGroup } from './split.js';

export interface SampleOptions {
  maxRows: number;
  halfLifeDays: number;
  seed: number;
  /** Ages are measured from here (the trainer's clock). */
  now: Date;
}

export interface TrainingSample {
  /** Sorted by id, as the table is. */
  rows: CleanedRow[];
  /** Rows the table held. */
  tableRows: number;
  /** True when the table was over the cap and `rows` is one row per drawn group. */
  sampled: boolean;
  /** Recipe groups with a trustworthy IBU in the whole table, when sampling and at most the cap; else null. */
  groups: number | null;
  /** Rows with an IBU left out as untrustworthy before the draw (only when sampling; else buildDataset counts them). */
  excluded: number;
}

const DAY_MS = 86_400_000;

/** u in (0, 1) for a group: the first 48 bits of its SHA-1 with the seed. */
export function groupUniform(group: string, seed: number): number {
  const bits = createHash('sha1').update(`${seed}\n${group}`).digest().readUIntBE(0, 6);
  return (bits + 0.5) / 2 ** 48;
}

/**
 * A group's place in the race, as a logarithm so old ages cannot overflow: log(-ln u / w) with
 * w = 2^(-age / halfLife). Smaller goes first; a more recent arrival gives a smaller key.
 */
export function raceKey(u: number, arrivedMs: number, nowMs: number, halfLifeDays: number): number {
  const ageDays = (nowMs - arrivedMs) / DAY_MS;
  return Math.log(-Math.log(u)) + (ageDays / halfLifeDays) * Math.LN2;
}

interface Entry {
  key: number;
  arrival: string;
  row: CleanedRow;
}

export interface TrainingSampler {
  /** Rows in any order; `arrival` as lib/tableSnapshot.ts writes it. */
  add(row: CleanedRow, arrival: string): void;
  result(): TrainingSample;
}

export function trainingSampler(options: SampleOptions): TrainingSampler {
  const { maxRows, halfLifeDays, seed } = options;
  if (!Number.isInteger(maxRows) || maxRows < 1)
    throw new RangeError(`maxRows: expected >= 1, got ${maxRows}`);
  const nowMs = options.now.getTime();
  let tableRows = 0;
  let excluded = 0;
  /** The whole table while it fits under the cap. */
  let whole: CleanedRow[] | undefined = [];
  const groups = new Map<string, Entry>();
  const seen = new Set<string>();
  /** Groups whose key is not below this cannot be among the drawn ones any more. */
  let threshold = Number.POSITIVE_INFINITY;

  /** Keeps the maxRows smallest keys once the map holds twice that (amortised O(log n) a row). */
  const prune = () => {
    const keys = [...groups.values()].map((e) => e.key).sort((a, b) => a - b);
    threshold = keys[maxRows - 1] as number;
    for (const [group, entry] of groups) if (entry.key > threshold) groups.delete(group);
  };

  return {
    add(row, arrival) {
      tableRows += 1;
      if (whole) {
        whole.push(row);
        if (whole.length > maxRows) whole = undefined;
      }
      if (!hasTarget(row)) return;
      if (hasSuspectTarget(row)) {
        excluded += 1;
        return;
      }
      const group = recipeGroup(row);
      // Counting distinct groups costs one string a group; only the report uses it, so it stops
      // counting (null) past the cap rather than grow with the table.
      if (seen.size <= maxRows) seen.add(group);
      const current = groups.get(group);
      if (current && current.arrival > arrival) return;
      const key = raceKey(groupUniform(group, seed), arrivalMs(arrival), nowMs, halfLifeDays);
      if (!current && key >= threshold) return;
      groups.set(group, { key, arrival, row });
      if (groups.size >= 2 * maxRows) prune();
    },
    result() {
      if (whole) return { rows: whole, tableRows, sampled: false, groups: null, excluded: 0 };
      const drawn = [...groups.values()].sort((a, b) => a.key - b.key).slice(0, maxRows);
      return {
        rows: drawn.map((e) => e.row).sort((a, b) => a.id - b.id),
        tableRows,
        sampled: true,
        groups: seen.size <= maxRows ? seen.size : null,
        excluded,
      };
    },
  };
}
