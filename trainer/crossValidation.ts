// k-fold cross-validation by id hash, for the quality figures in `npm run bench -- trainer`: each
// fold is the test split once; the rest is split into training and validation by the same hash.
import type { CleanedRow } from '../lib/beer.js';
import type { Tf } from '../lib/tfjs.js';
import { buildDataset } from './dataset.js';
import { fitLinear, predictLinear } from './linear.js';
import { type Metrics, regressionMetrics } from './metrics.js';
import { trainModel } from './model.js';
import { foldOf, idBucket } from './split.js';
import { predictIbu } from './train.js';

export interface CrossValidation {
  model: Metrics;
  linear: Metrics;
  folds: number;
}

export async function crossValidate(
  tf: Tf,
  rows: CleanedRow[],
  options: { folds: number; seed: number; maxEpochs: number; patience: number },
): Promise<CrossValidation> {
  const actual: number[] = [];
  const model: number[] = [];
  const linear: number[] = [];
  for (let fold = 0; fold < options.folds; fold += 1) {
    const data = buildDataset(rows, (row) =>
      foldOf(row.id, options.folds) === fold ? 'test' : idBucket(row.id) % 8 === 0 ? 'validation' : 'train',
    );
    const inputs = data.preprocessing.features.length;
    const trained = await trainModel(tf, data.train, data.validation, inputs, options);
    model.push(...predictIbu(tf, trained.model, data.test.rows, data.preprocessing));
    trained.model.dispose();
    const toRows = (x: Float32Array) =>
      Array.from({ length: x.length / inputs }, (_, i) =>
        Array.from(x.subarray(i * inputs, (i + 1) * inputs)),
      );
    const fit = fitLinear(toRows(data.train.x), data.train.ibu);
    linear.push(...toRows(data.test.x).map((r) => predictLinear(fit, r)));
    actual.push(...data.test.ibu);
  }
  return {
    model: regressionMetrics(actual, model),
    linear: regressionMetrics(actual, linear),
    folds: options.folds,
  };
}
