// Trainer benchmark: one retrain at table size, 100,000 and 1,000,000 rows (bench/trainer/scale.ts);
// wall time of a training on the 325 Punk API beers and on 100,000 synthetic
// rows (the beers resampled with ±5% noise on every value, distinct ids), the backend used, and
// quality by 5-fold cross-validation by recipe group (bench/trainer/crossValidation.ts): the
// configuration chosen in each fold on an inner split of its training groups, then trained with
// each of the initialisation seeds fixed below, against the three baselines on the same folds,
// with bootstrap intervals over groups (bench/trainer/quality.ts). Protocol: docs/design.md
// "Training, evaluation and promotion".
import { writeFileSync } from 'node:fs';
import beers from 'punkapi-db' with { type: 'json' };
import { type CleanedRow, cleanBeer, NUMERIC_COLUMNS } from '../lib/beer.js';
import { loadConfig } from '../lib/config.js';
import { loadTf } from '../lib/tfjs.js';
import { buildDataset } from '../trainer/dataset.js';
import { MODEL_CONFIG, trainModel } from '../trainer/model.js';
import { seededRandom } from '../trainer/rng.js';
import { type BenchValue, report } from './report.js';
import { ALL_CANDIDATES, FOLD_SEED, FOLDS, MAX_EPOCHS, PATIENCE } from './trainer/candidates.js';
import { crossValidateGrouped } from './trainer/crossValidation.js';
import { foldTableCsv } from './trainer/foldTable.js';
import { qualityReport, rowErrors } from './trainer/quality.js';
import { scaleResults } from './trainer/scale.js';
import { compareWithTrees, treeFamilies } from './trainer/treeReference.js';

const BIG = Number(process.env.BENCH_ROWS ?? 100_000);
/** Fixed before any figure was seen; BENCH_SEEDS=n takes the first n (for a quick look only). */
const SEEDS = [1, 2, 3, 4, 5].slice(0, Number(process.env.BENCH_SEEDS ?? 5));
const CANDIDATES = ALL_CANDIDATES.filter(
  (c) => !process.env.BENCH_CANDIDATES || process.env.BENCH_CANDIDATES.split(',').includes(c.name),
);

// Every bundled beer cleans (lib/beer.test.ts checks it); one that did not would be left out.
const rows = beers.flatMap((beer) => {
  const result = cleanBeer(beer);
  return result.ok ? [result.row] : [];
});
const random = seededRandom(7);
const synthetic: CleanedRow[] = Array.from({ length: BIG }, (_, i) => {
  const base = rows[i % rows.length] as CleanedRow;
  const row = { ...base, id: 1_000_000 + i };
  for (const c of NUMERIC_COLUMNS) if (row[c] !== null) row[c] = (row[c] as number) * (0.95 + random() * 0.1);
  return row;
});

const { tf, backend } = await loadTf(loadConfig().trainer.backend);
const timeTraining = async (data: CleanedRow[]) => {
  const started = performance.now();
  const dataset = buildDataset(data);
  const trained = await trainModel(
    tf,
    dataset.train,
    dataset.validation,
    dataset.preprocessing.features.length,
    {
      seed: 42,
      maxEpochs: MAX_EPOCHS,
      patience: PATIENCE,
      onEpoch: (epoch, _loss, _valLoss, of) => {
        if (epoch % 100 === 0) process.stderr.write(`  ${data.length} rows: epoch ${epoch}/${of}\n`);
      },
    },
  );
  const epochs = trained.history.length;
  trained.model.dispose();
  return { seconds: (performance.now() - started) / 1000, epochs };
};

const small = await timeTraining(rows);
const big = BIG > 0 ? await timeTraining(synthetic) : { seconds: Number.NaN, epochs: 0 };
const grouped = await crossValidateGrouped(tf, rows, {
  folds: FOLDS,
  foldSeed: FOLD_SEED,
  seeds: SEEDS,
  candidates: CANDIDATES,
  selectionSeed: 1,
  maxEpochs: MAX_EPOCHS,
  patience: PATIENCE,
  onProgress: (message) => process.stderr.write(`  grouped CV: ${message}\n`),
});
const quality = qualityReport(grouped);
// The trees on exactly these folds (bench/trainer/trees.py, scikit-learn), paired with the model row
// by row; BENCH_TREES=0 leaves them out, BENCH_FOLDS_CSV=<file> keeps the fold table for a
// replication of one's own.
const foldTable = foldTableCsv(grouped, FOLD_SEED);
if (process.env.BENCH_FOLDS_CSV) writeFileSync(process.env.BENCH_FOLDS_CSV, foldTable);
const trees =
  process.env.BENCH_TREES === '0'
    ? { unavailable: 'left out (BENCH_TREES=0)' }
    : await treeFamilies(foldTable);
const modelErrors = rowErrors(grouped.actual, grouped.predictions.model, (p, a) => Math.abs(p - a));
const treeComparison =
  'families' in trees ? compareWithTrees(modelErrors, grouped.groups, trees.families) : undefined;
const bestTree = treeComparison
  ? Object.entries(treeComparison).sort(([, a], [, b]) => a.mae - b.mae)[0]
  : undefined;
// The retrain at table size (issue 25), each retrain in a child process of its own; BENCH_SCALE=0
// leaves it out (a run for the quality figures alone, on a machine others are benchmarking on).
const scale = process.env.BENCH_SCALE === '0' ? {} : await scaleResults();
const r = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
/** The quality table with every figure to three decimals. */
const rounded = (value: object): BenchValue =>
  JSON.parse(JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' ? r(v) : v)));
const ci = (range: [number, number]) => `[${r(range[0], 2)}, ${r(range[1], 2)}]`;
const m = quality.models;
const perSeedMae = quality.perRun.map((run) => run.mae);
const mean = perSeedMae.reduce((a, b) => a + b, 0) / perSeedMae.length;
const sd = Math.sqrt(
  perSeedMae.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, perSeedMae.length - 1),
);
process.stderr.write(
  [
    '',
    `grouped ${grouped.folds}-fold CV (fold seed ${FOLD_SEED}), initialisation seeds ${grouped.seeds.join(',')}: ${quality.rows} rows in ${quality.groups} recipe groups, ${grouped.excluded} excluded (IBU equal to OG); each row's error averaged over the seeds; 95% bootstrap intervals over groups`,
    `${''.padEnd(10)} ${'MAE'.padEnd(22)} ${'median AE'.padEnd(22)} ${'MAE IBU<=150'.padEnd(22)} MAE log1p`,
    ...(['model', 'median', 'physics', 'linear'] as const).map((name) =>
      [
        name.padEnd(10),
        `${r(m[name].mae.value, 2)} ${ci(m[name].mae.ci95)}`.padEnd(22),
        `${r(m[name].medianAe.value, 2)} ${ci(m[name].medianAe.ci95)}`.padEnd(22),
        `${r(m[name].maeUpTo150.value, 2)} ${ci(m[name].maeUpTo150.ci95)}`.padEnd(22),
        `${r(m[name].maeLog.value, 3)} ${ci(m[name].maeLog.ci95)}`,
      ].join(' '),
    ),
    `model - ${quality.bestBaseline} (best baseline) MAE: ${r(quality.diffVsBest.value, 2)} ${ci(quality.diffVsBest.ci95)}`,
    ...quality.perRun.map(
      (run, i) =>
        `  seed ${grouped.seeds[i]}: MAE ${r(run.mae, 2)}, difference ${r(run.diffVsBest.value, 2)} ${ci(run.diffVsBest.ci95)}`,
    ),
    ...grouped.selection.map(
      (s) => `  fold ${s.fold + 1}: chose ${s.chosen} ${JSON.stringify(rounded(s.innerMae))}`,
    ),
    treeComparison
      ? 'tree ensembles on the same folds (bench/trainer/trees.py; setting chosen per fold on the inner split, fitted on training and validation rows, seeds 1-5):'
      : `tree ensembles: ${'unavailable' in trees ? trees.unavailable : ''}`,
    ...Object.entries(treeComparison ?? {}).map(
      ([name, t]) =>
        `  ${name.padEnd(24)} MAE ${r(t.mae, 2)}; model - it ${r(t.modelMinusTree.value, 2)} ${ci(t.modelMinusTree.ci95)}`,
    ),
    '',
  ].join('\n'),
);
report(
  'trainer',
  {
    backend,
    ...scale,
    train_s_325: r(small.seconds),
    train_s_100k: r(big.seconds),
    rows_per_s_100k: Math.round(BIG / big.seconds),
    epochs_100k: big.epochs,
    cv_grouped_mae_model_seedavg: r(m.model.mae.value),
    cv_grouped_diff_ci95_seedavg: quality.diffVsBest.ci95.map((x) => r(x)),
    cv_grouped_diff_seedavg: r(quality.diffVsBest.value),
    cv_grouped_mae_model_per_seed: perSeedMae.map((x) => r(x)),
    cv_grouped_mae_model_seed_sd: r(sd),
    cv_grouped_diff_ci95_per_seed: quality.perRun.map((run) => run.diffVsBest.ci95.map((x) => r(x))),
    cv_grouped_mae_median: r(m.median.mae.value),
    cv_grouped_mae_physics: r(m.physics.mae.value),
    cv_grouped_mae_linear: r(m.linear.mae.value),
    cv_grouped_best_baseline: quality.bestBaseline,
    cv_grouped_ratio_seedavg: r(m.model.mae.value / m[quality.bestBaseline].mae.value),
    cv_grouped_excluded_rows: grouped.excluded,
    cv_grouped_seeds: grouped.seeds,
    cv_grouped_selection: rounded(grouped.selection),
    cv_grouped_quality: rounded(quality),
    cv_grouped_trees: treeComparison
      ? rounded(treeComparison)
      : 'unavailable' in trees
        ? trees.unavailable
        : null,
    cv_grouped_best_tree: bestTree ? bestTree[0] : null,
    cv_grouped_mae_best_tree: bestTree ? r(bestTree[1].mae) : null,
    cv_grouped_diff_vs_best_tree: bestTree ? r(bestTree[1].modelMinusTree.value) : null,
    cv_grouped_diff_vs_best_tree_ci95: bestTree ? bestTree[1].modelMinusTree.ci95.map((x) => r(x)) : null,
  },
  `${MODEL_CONFIG.members} × 64-32 MLP ensemble (trainer/model.ts); max ${MAX_EPOCHS} epochs, patience ${PATIENCE}; 5-fold CV by recipe group (fold seed ${FOLD_SEED}), configuration chosen per fold on an inner split among ${CANDIDATES.map((c) => c.name).join(', ')}, initialisation seeds ${SEEDS.join(',')}, on the 325 beers`,
);
