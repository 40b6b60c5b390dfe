// Trainer benchmark: wall time of a training on the 325 Punk API beers and on 100,000 synthetic
// rows (the beers resampled with ±5% noise on every value, distinct ids), the backend used, and
// quality as 5-fold cross-validation by id hash: the tfjs model against the linear baseline.
import beers from 'punkapi-db' with { type: 'json' };
import { type CleanedRow, cleanBeer, NUMERIC_COLUMNS } from '../lib/beer.js';
import { loadConfig } from '../lib/config.js';
import { loadTf } from '../lib/tfjs.js';
import { crossValidate } from '../trainer/crossValidation.js';
import { buildDataset } from '../trainer/dataset.js';
import { trainModel } from '../trainer/model.js';
import { seededRandom } from '../trainer/rng.js';
import { report } from './report.js';

const MAX_EPOCHS = Number(process.env.TRAIN_MAX_EPOCHS ?? 300);
const PATIENCE = Number(process.env.TRAIN_PATIENCE ?? 30);
const BIG = Number(process.env.BENCH_ROWS ?? 100_000);

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
const cv = await crossValidate(tf, rows, { folds: 5, seed: 42, maxEpochs: MAX_EPOCHS, patience: PATIENCE });
const r = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
report(
  'trainer',
  {
    backend,
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
  },
  `5 members below 20k rows, 1 above; max ${MAX_EPOCHS} epochs, patience ${PATIENCE}; 5-fold CV by id hash on the 325 beers`,
);
