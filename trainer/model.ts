// The IBU model: a small MLP on the standardised features (lib/features.ts), predicting
// standardised log1p(IBU). Huber loss, because a few targets stay far from their recipe's peers
// after the data fixes and a squared loss would chase them; an L2 penalty on the kernels, because
// a few hundred rows overfit a 64-32 network within tens of epochs; Adam; early stopping on the
// validation loss, keeping the best epoch's weights. How it was chosen: docs/design.md "Training,
// evaluation and promotion". Seeded: the initialisers and the per-epoch shuffle repeat for a seed.
import type * as TF from '@tensorflow/tfjs';
import type { Tf } from '../lib/tfjs.js';
import { seededRandom, shuffled } from './rng.js';

export interface TrainOptions {
  seed: number;
  maxEpochs: number;
  patience: number;
  onEpoch?: (epoch: number, loss: number, valLoss: number) => void | Promise<void>;
}

export interface TrainResult {
  model: TF.LayersModel;
  history: Array<{ epoch: number; loss: number; val_loss: number }>;
  bestEpoch: number;
  parameters: Record<string, number | string>;
}

const UNITS: [number, number] = [64, 32];
const LEARNING_RATE = 0.002;
const L2 = 0.01;

export function buildModel(tf: Tf, inputs: number, seed: number): TF.Sequential {
  const model = tf.sequential();
  const kernelRegularizer = tf.regularizers.l2({ l2: L2 });
  model.add(
    tf.layers.dense({
      inputShape: [inputs],
      units: UNITS[0],
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed }),
      kernelRegularizer,
    }),
  );
  model.add(
    tf.layers.dense({
      units: UNITS[1],
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: seed + 1 }),
      kernelRegularizer,
    }),
  );
  model.add(
    tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 2 }) }),
  );
  return model;
}

/** Batch size grows with the data so 100k rows train in seconds, while 300 rows still get many steps. */
export const batchSizeFor = (rows: number) =>
  Math.min(1024, Math.max(16, 2 ** Math.round(Math.log2(rows / 20))));

/** Trains one network, early-stopped on the validation loss, with the best epoch's weights. */
export async function trainModel(
  tf: Tf,
  train: { x: Float32Array; y: Float32Array },
  validation: { x: Float32Array; y: Float32Array },
  inputs: number,
  options: TrainOptions,
): Promise<TrainResult> {
  const n = train.y.length;
  // Large data needs fewer passes: the work is capped at about two million row-visits, so
  // 100,000 rows train in well under a minute on the wasm backend.
  const maxEpochs = Math.min(options.maxEpochs, Math.max(10, Math.ceil(2_000_000 / n)));
  const model = buildModel(tf, inputs, options.seed);
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: tf.losses.huberLoss });
  const batchSize = batchSizeFor(n);
  const random = seededRandom(options.seed);
  const xVal = tf.tensor2d(validation.x, [validation.y.length, inputs]);
  const yVal = tf.tensor2d(validation.y, [validation.y.length, 1]);
  const history: TrainResult['history'] = [];
  let best = { valLoss: Number.POSITIVE_INFINITY, epoch: 0, weights: [] as TF.Tensor[] };

  for (let epoch = 1; epoch <= maxEpochs; epoch += 1) {
    // Our own seeded shuffle (tfjs would use Math.random).
    const order = shuffled(n, random);
    const xs = new Float32Array(n * inputs);
    const ys = new Float32Array(n);
    order.forEach((from, to) => {
      xs.set(train.x.subarray(from * inputs, (from + 1) * inputs), to * inputs);
      ys[to] = train.y[from] as number;
    });
    const x = tf.tensor2d(xs, [n, inputs]);
    const y = tf.tensor2d(ys, [n, 1]);
    const fit = await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    x.dispose();
    y.dispose();
    const loss = fit.history.loss?.[0] as number;
    const valLoss = tf.tidy(() => (model.evaluate(xVal, yVal) as TF.Scalar).dataSync()[0] as number);
    history.push({ epoch, loss, val_loss: valLoss });
    await options.onEpoch?.(epoch, loss, valLoss);
    if (valLoss < best.valLoss - 1e-6) {
      for (const w of best.weights) w.dispose();
      best = { valLoss, epoch, weights: model.getWeights().map((w) => w.clone()) };
    } else if (epoch - best.epoch >= options.patience) {
      break;
    }
  }
  if (best.weights.length > 0) {
    model.setWeights(best.weights);
    for (const w of best.weights) w.dispose();
  }
  xVal.dispose();
  yVal.dispose();
  return {
    model,
    history,
    bestEpoch: best.epoch,
    parameters: {
      layers: `${UNITS.join('-')}-1 relu`,
      loss: 'huber',
      l2: L2,
      optimizer: 'adam',
      learningRate: LEARNING_RATE,
      batchSize,
      maxEpochs,
      patience: options.patience,
      seed: options.seed,
    },
  };
}
