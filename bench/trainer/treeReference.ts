// The trees the tfjs model is held against (issue 23): bench/trainer/trees.py fits tree ensembles
// on exactly the benchmark's folds under its protocol, with scikit-learn; this module runs it on the
// fold table (foldTable.ts) and pairs each family's errors with the tfjs model's, row by row, with
// the same bootstrap over recipe groups as the quality table. Scikit-learn is not a dependency of
// the project: without a Python that imports it, the reference is reported as unavailable.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Static, Type } from 'typebox';
import { documentReader } from '../../lib/document.js';
import { bootstrapInterval, clustersOf } from '../../trainer/bootstrap.js';
import type { Estimate } from './quality.js';

/** Beside this file in the sources (dist/bench/trainer → bench/trainer). */
const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bench/trainer/trees.py');

const treesOutput = Type.Object({
  seeds: Type.Array(Type.Number()),
  families: Type.Record(
    Type.String(),
    Type.Object({
      chosen: Type.Array(Type.Array(Type.Union([Type.Number(), Type.String()]))),
      errors: Type.Array(Type.Number()),
    }),
  ),
});
const readTrees = documentReader(treesOutput);
/** Per family: the setting each fold chose and each row's seed-averaged error. */
export type TreeFamilies = Static<typeof treesOutput>['families'];

/** The first of BENCH_PYTHON, Debian's python3 and the python3 on PATH that imports scikit-learn. */
export function pythonWithSklearn(): string | undefined {
  const candidates = [process.env.BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string =>
    Boolean(p),
  );
  return candidates.find((python) => spawnSync(python, ['-c', 'import sklearn']).status === 0);
}

export interface TreeFamily {
  /** Seed-averaged MAE of the family on the scored rows. */
  mae: number;
  /** tfjs model − tree MAE, paired by row, with its 95% interval over recipe groups. */
  modelMinusTree: Estimate;
  /** The setting each fold's inner split chose. */
  chosen: Array<Array<number | string>>;
}

/**
 * Each family's MAE and the paired difference model − family. `modelErrors` and every family's
 * errors are each row's absolute error averaged over its seeds, aligned with `groups`.
 */
export function compareWithTrees(
  modelErrors: readonly number[],
  groups: readonly string[],
  families: TreeFamilies,
): Record<string, TreeFamily> {
  const clusters = clustersOf(groups);
  const all = modelErrors.map((_, i) => i);
  const meanOver = (values: readonly number[], rows: number[]) =>
    rows.reduce((sum, i) => sum + (values[i] as number), 0) / rows.length;
  return Object.fromEntries(
    Object.entries(families).map(([name, family]) => {
      if (family.errors.length !== modelErrors.length)
        throw new Error(
          `trees.py gave ${family.errors.length} errors for ${name}, expected ${modelErrors.length}`,
        );
      const diff = modelErrors.map((e, i) => e - (family.errors[i] as number));
      const stat = (rows: number[]) => meanOver(diff, rows);
      return [
        name,
        {
          mae: meanOver(family.errors, all),
          modelMinusTree: { value: stat(all), ci95: bootstrapInterval(clusters, stat) },
          chosen: family.chosen,
        },
      ];
    }),
  );
}

/** Runs trees.py on the fold table (its progress to stderr), or says why it cannot run. */
export async function treeFamilies(
  foldTable: string,
): Promise<{ families: TreeFamilies } | { unavailable: string }> {
  const python = pythonWithSklearn();
  if (!python) return { unavailable: 'no python3 that imports scikit-learn (scripts/ensure-sklearn.sh)' };
  const dir = mkdtempSync(path.join(tmpdir(), 'brewstream-trees-'));
  try {
    const file = path.join(dir, 'folds.csv');
    writeFileSync(file, foldTable);
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(python, [SCRIPT, file], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`trees.py exited with ${code}`)),
      );
    });
    const last = stdout.trim().split('\n').at(-1) ?? '';
    return { families: readTrees.parse(last, 'trees.py output').families };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
