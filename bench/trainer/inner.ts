// The inner-split figures alone (issue 23): each fold's inner-test MAE for the named candidates of
// bench/trainer.ts, the figures a configuration is judged on before it may become a candidate (the
// outer test rows are never built here). Usage:
//   node dist/bench/trainer/inner.js <candidate>[,<candidate>...] [seeds, e.g. 1,2] [folds, e.g. 0,3]
// One JSON line per candidate and seed on stdout: the five folds' MAE and their mean.
import beers from 'punkapi-db' with { type: 'json' };
import { cleanBeer } from '../../lib/beer.js';
import { loadConfig } from '../../lib/config.js';
import { predictIbu } from '../../lib/predict.js';
import { loadTf } from '../../lib/tfjs.js';
import { buildDataset, hasTarget } from '../../trainer/dataset.js';
import { regressionMetrics } from '../../trainer/metrics.js';
import { trainModel } from '../../trainer/model.js';
import { ALL_CANDIDATES, EXPLORED, FOLD_SEED, FOLDS, MAX_EPOCHS, PATIENCE } from './candidates.js';
import { groupedSplitOf, innerSplitOf } from './folds.js';

const [names = 'huber', seedList = '1', foldList = ''] = process.argv.slice(2);
const seeds = seedList.split(',').map(Number);
const folds = foldList ? foldList.split(',').map(Number) : Array.from({ length: FOLDS }, (_, f) => f);
const candidates = names.split(',').map((name) => {
  const candidate = [...ALL_CANDIDATES, ...EXPLORED].find((c) => c.name === name);
  if (!candidate)
    throw new Error(
      `no candidate ${name} (${[...ALL_CANDIDATES, ...EXPLORED].map((c) => c.name).join(', ')})`,
    );
  return candidate;
});

const rows = beers.flatMap((beer) => {
  const result = cleanBeer(beer);
  return result.ok ? [result.row] : [];
});
const { tf } = await loadTf(loadConfig().trainer.backend);
const r2 = (x: number) => Math.round(x * 100) / 100;
for (const candidate of candidates) {
  for (const seed of seeds) {
    const mae: number[] = [];
    for (const fold of folds) {
      const rest = rows.filter(
        (row) => hasTarget(row) && groupedSplitOf(row, fold, FOLDS, FOLD_SEED) !== 'test',
      );
      const inner = buildDataset(rest, (row) => innerSplitOf(row, FOLDS, FOLD_SEED));
      const trained = await trainModel(
        tf,
        inner.train,
        inner.validation,
        inner.preprocessing.features.length,
        {
          seed,
          maxEpochs: MAX_EPOCHS,
          patience: PATIENCE,
          config: candidate.config,
          target: inner.preprocessing.target,
        },
      );
      const predicted = Array.from(predictIbu(tf, trained.model, inner.test.rows, inner.preprocessing));
      trained.model.dispose();
      mae.push(regressionMetrics(inner.test.ibu, predicted).mae);
      process.stderr.write(
        `  ${candidate.name} seed ${seed} fold ${fold + 1}: ${r2(mae.at(-1) as number)}\n`,
      );
    }
    const mean = mae.reduce((a, b) => a + b, 0) / mae.length;
    process.stdout.write(
      `${JSON.stringify({ candidate: candidate.name, seed, folds: folds.map((f) => f + 1), mae: mae.map(r2), mean: r2(mean) })}\n`,
    );
  }
}
