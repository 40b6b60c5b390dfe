// The prediction step, in one place for training, evaluation, warm-up and serving, so the model a
// trainer scored is the model a server answers with: the preprocessing the version was fitted with
// (lib/features.ts, of whichever recipe), the network, then the target transform undone and
// clipped to the training range.
import type * as TF from '@tensorflow/tfjs';
import { type FeatureInput, modelToTarget, type Preprocessing, toFeatureMatrix } from './features.js';
import type { Tf } from './tfjs.js';

/**
 * IBU for each row. Synchronous (dataSync): the server relies on it to swap models without a
 * prediction in flight on the old one (server/modelHolder.ts).
 */
export function predictIbu(
  tf: Tf,
  model: TF.LayersModel,
  rows: readonly FeatureInput[],
  preprocessing: Preprocessing,
): Float64Array {
  const inputs = preprocessing.features.length;
  const x = toFeatureMatrix(rows, preprocessing);
  const y = tf.tidy(() => {
    const out = model.predict(tf.tensor2d(x, [rows.length, inputs]));
    return (Array.isArray(out) ? out[0] : out)?.dataSync();
  });
  if (y?.length !== rows.length) {
    throw new Error(`the model gave ${y?.length ?? 0} predictions for ${rows.length} rows`);
  }
  const ibu = new Float64Array(rows.length);
  for (let i = 0; i < ibu.length; i += 1) ibu[i] = modelToTarget(y[i] as number, preprocessing);
  return ibu;
}
