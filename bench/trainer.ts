// Trainer benchmark: one retrain at table size, 100,000 and 1,000,000 rows (bench/trainer/scale.ts);
// wall time of a training on the 325 Punk API beers and on 100,000 synthetic
// rows (the beers resampled with ±5% noise on every value, distinct ids), the backend used, and
// quality two ways: 5-fold cross-validation by id hash (the original figures, cv_mae_*), and
// 5-fold cross-validation by recipe group repeated over several fold-assignment seeds, against
// the three baselines on the same folds with bootstrap intervals (cv_grouped_*; bench/trainer/quality.ts).
import beers from 'punkapi-db' with { type: 'json' };
import { type CleanedRow, cleanBeer, NUMERIC_COLUMNS } from '../lib/beer.js';
import { loadConfig } from '../lib/config.js';
import { loadTf } from '../lib/tfjs.js';
import { buildDataset } from '../trainer/dataset.js';
import { trainModel } from '../trainer/model.js';
import { seededRandom } from '../trainer/rng.js';
import { type BenchValue, report } from './report.js';
import { crossValidate, crossValidateGrouped } from './trainer/crossValidation.js';
import { qualityReport } from './trainer/quality.js';
import { scaleResults } from './trainer/scale.js';

const MAX_EPOCHS = Number(process.env.TRAIN_MAX_EPOCHS ?? 300);
const PATIENCE = Number(process.env.TRAIN_PATIENCE ?? 30);
const BIG = Number(process.env.BENCH_ROWS ?? 100_000);
const SEEDS = [1, 2, 3];

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
      onEpoch: (epoch) => {
        if (epoch % 25 === 0) process.stderr.write(`  ${data.length} rows: epoch ${epoch}\n`);
      },
    },
  );
  const epochs = trained.history.length;
  trained.model.dispose();
  return { seconds: (performance.now() - started) / 1000, epochs };
};

const small = await timeTraining(rows);
const big = await timeTraining(synthetic);
const cvOptions = { folds: 5, seed: 42, maxEpochs: MAX_EPOCHS, patience: PATIENCE };
const cv = await crossValidate(tf, rows, cvOptions);
const grouped = await crossValidateGrouped(tf, rows, {
  ...cvOptions,
  seeds: SEEDS,
  onFold: (seed, fold) => process.stderr.write(`  grouped CV: seed ${seed}, fold ${fold + 1}/5 done\n`),
});
const quality = qualityReport(grouped);
// The retrain at table size (issue 25), each retrain in a child process of its own.
const scale = await scaleResults();
const r = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
/** The quality table with every figure to three decimals. */
const rounded = (value: object): BenchValue =>
  JSON.parse(JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' ? r(v) : v)));
const ci = (range: [number, number]) => `[${r(range[0], 2)}, ${r(range[1], 2)}]`;
const m = quality.models;
process.stderr.write(
  [
    '',
    `grouped ${grouped.folds}-fold CV, seeds ${grouped.seeds.join(',')}: ${quality.rows} rows in ${quality.groups} recipe groups, ${grouped.excluded} excluded (IBU equal to OG); 95% bootstrap intervals over groups`,
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
    cv_mae_model: r(cv.model.mae),
    cv_mae_linear: r(cv.linear.mae),
    cv_mae_ratio: r(cv.model.mae / cv.linear.mae),
    cv_rmse_model: r(cv.model.rmse),
    cv_rmse_linear: r(cv.linear.rmse),
    cv_r2_model: r(cv.model.r2),
    cv_r2_linear: r(cv.linear.r2),
    cv_grouped_mae_model: r(m.model.mae.value),
    cv_grouped_mae_median: r(m.median.mae.value),
    cv_grouped_mae_physics: r(m.physics.mae.value),
    cv_grouped_mae_linear: r(m.linear.mae.value),
    cv_grouped_best_baseline: quality.bestBaseline,
    cv_grouped_diff: r(quality.diffVsBest.value),
    cv_grouped_diff_ci95: quality.diffVsBest.ci95.map((x) => r(x)),
    cv_grouped_ratio: r(m.model.mae.value / m[quality.bestBaseline].mae.value),
    cv_grouped_excluded_rows: grouped.excluded,
    cv_grouped_seeds: grouped.seeds.length,
    cv_grouped_quality: rounded(quality),
  },
  `one 64-32 MLP (trainer/model.ts defaults); max ${MAX_EPOCHS} epochs, patience ${PATIENCE}; 5-fold CV by id hash, and 5-fold CV by recipe group for seeds ${SEEDS.join(',')}, on the 325 beers`,
);
