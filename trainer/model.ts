// The IBU model: a small MLP on the standardised features (lib/features.ts recipe 2), predicting
// standardised log1p(IBU), trained with the Huber loss (robust to the outliers that remain), an L2
// penalty on the kernels and Adam, with early stopping on validation loss. Chosen on the grouped
// cross-validation (docs/design.md "The model"): one 64-32 network at learning rate 0.002 with L2
// 0.01 scored MAE 20.3; the same with 32-16 units 20.8; three members of 64-32 (at 0.005) 20.6,
// so one member it is. `members` > 1 still trains several independently and averages them inside
// one tfjs model (one artifact to save and serve).
// Seeded: initialisers and the per-epoch shuffle repeat for a seed.
import type * as TF from '@tensorflow/tfjs';
import type { Tf } from '../lib/tfjs.js';
import { seededRandom, shuffled } from './rng.js';

export interface TrainOptions {
  seed: number;
  maxEpochs: number;
  patience: number;
  learningRate?: number;
  loss?: 'huber' | 'mae';
  /** Independently trained members averaged into one model; default 1. */
  members?: number;
  units?: [number, number];
  /** L2 penalty on the dense kernels (0: none). */
  l2?: number;
  onEpoch?: (epoch: number, loss: number, valLoss: number) => void | Promise<void>;
}

export interface TrainResult {
  model: TF.LayersModel;
  history: Array<{ epoch: number; loss: number; val_loss: number }>;
  bestEpoch: number;
  parameters: Record<string, number | string>;
}

/** The defaults every caller trains with (the worker, `npm run train`, the benchmark). */
export const DEFAULTS = {
  units: [64, 32] as [number, number],
  learningRate: 0.002,
  loss: 'huber' as const,
  l2: 0.01,
  members: 1,
};

export function buildModel(
  tf: Tf,
  inputs: number,
  seed: number,
  units: [number, number] = DEFAULTS.units,
  l2 = 0,
): TF.Sequential {
  const model = tf.sequential();
  const kernelRegularizer = l2 > 0 ? tf.regularizers.l2({ l2 }) : undefined;
  model.add(
    tf.layers.dense({
      inputShape: [inputs],
      units: units[0],
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed }),
      kernelRegularizer,
    }),
  );
  model.add(
    tf.layers.dense({
      units: units[1],
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

async function trainMember(
  tf: Tf,
  train: { x: Float32Array; y: Float32Array },
  validation: { x: Float32Array; y: Float32Array },
  inputs: number,
  options: TrainOptions,
): Promise<TrainResult> {
  const learningRate = options.learningRate ?? DEFAULTS.learningRate;
  const model = buildModel(tf, inputs, options.seed, options.units, options.l2 ?? DEFAULTS.l2);
  const lossName = options.loss ?? DEFAULTS.loss;
  model.compile({
    optimizer: tf.train.adam(learningRate),
    loss: lossName === 'mae' ? tf.losses.absoluteDifference : tf.losses.huberLoss,
  });
  const n = train.y.length;
  const batchSize = batchSizeFor(n);
  const random = seededRandom(options.seed);
  const xVal = tf.tensor2d(validation.x, [validation.y.length, inputs]);
  const yVal = tf.tensor2d(validation.y, [validation.y.length, 1]);
  const history: TrainResult['history'] = [];
  let best = { valLoss: Number.POSITIVE_INFINITY, epoch: 0, weights: [] as TF.Tensor[] };

  for (let epoch = 1; epoch <= options.maxEpochs; epoch += 1) {
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
      layers: `${(options.units ?? DEFAULTS.units).join('-')}-1 relu`,
      loss: lossName,
      l2: options.l2 ?? DEFAULTS.l2,
      optimizer: 'adam',
      learningRate,
      batchSize,
      maxEpochs: options.maxEpochs,
      patience: options.patience,
      seed: options.seed,
    },
  };
}

/** Predictions in the model's (standardised log) space. */
export function predictRaw(tf: Tf, model: TF.LayersModel, x: Float32Array, inputs: number): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(x, [x.length / inputs, inputs])) as TF.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/** Trains the members and joins them into one model whose output is their average. */
export async function trainModel(
  tf: Tf,
  train: { x: Float32Array; y: Float32Array },
  validation: { x: Float32Array; y: Float32Array },
  inputs: number,
  options: TrainOptions,
): Promise<TrainResult> {
  const members = options.members ?? DEFAULTS.members;
  // Large data needs fewer passes: cap the work at about two million row-visits per member, so
  // 100,000 rows train in well under a minute on the wasm backend.
  options = {
    ...options,
    maxEpochs: Math.min(options.maxEpochs, Math.max(10, Math.ceil(2_000_000 / train.y.length))),
  };
  const trained: TrainResult[] = [];
  for (let m = 0; m < members; m += 1) {
    trained.push(
      await trainMember(tf, train, validation, inputs, {
        ...options,
        seed: options.seed + m * 7,
        // Progress is reported across all members' epochs.
        onEpoch: (epoch, loss, valLoss) => options.onEpoch?.(m * options.maxEpochs + epoch, loss, valLoss),
      }),
    );
  }
  const first = trained[0] as TrainResult;
  const parameters = { ...first.parameters, members, seed: options.seed };
  if (members === 1) return { ...first, parameters };
  const input = tf.input({ shape: [inputs] });
  const outputs = trained.map(({ model }) =>
    model.layers.reduce((h, layer) => layer.apply(h) as TF.SymbolicTensor, input),
  );
  const average = tf.layers.average().apply(outputs) as TF.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: average });
  return { model, history: first.history, bestEpoch: first.bestEpoch, parameters };
}
