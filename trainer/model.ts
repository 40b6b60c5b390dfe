// The IBU model: an ensemble of small MLPs on the standardised features (lib/features.ts), each
// predicting standardised log1p(IBU), served as one network whose output is the members' mean
// (so lib/predict.ts's predictIbu runs it like any other model, and the averaging is part of what
// is saved and served). Members differ only in their initialisation and shuffle seeds: one
// network's error moves by about 0.8 IBU of MAE from seed to seed, and the mean of several is
// both better and steadier. Each member: Huber (or absolute-error) loss, because a few targets
// stay far from their recipe's peers after the data fixes and a squared loss would chase them; an
// L2 penalty on the kernels, because a few hundred rows overfit a 64-32 network within tens of
// epochs; Adam; early stopping on the validation loss, keeping the best epoch's weights. How the
// configuration is chosen: docs/design.md "Training, evaluation and promotion".
import type * as TF from '@tensorflow/tfjs';
import type { FeatureInput } from '../lib/features.js';
import type { Tf } from '../lib/tfjs.js';
import { seededRandom, shuffled } from './rng.js';
import { recipeGroup } from './split.js';

export interface ModelConfig {
  members: number;
  units: [number, number];
  /**
   * huber/absolute: on the network's output, standardised log1p(IBU). ibu-absolute, ibu-huber and
   * sqrt-absolute: the absolute (or Huber) error of IBU (or of its square root), the output mapped back
   * through the target's transform inside the loss, because the benchmark scores MAE on raw IBU
   * and the log compresses the bitter beers that carry most of it (issue 23). The network, and
   * so what is served, is the same whichever loss trained it.
   */
  loss: 'huber' | 'absolute' | 'ibu-absolute' | 'sqrt-absolute' | 'ibu-huber';
  l2: number;
  learningRate: number;
  /** Each member trains on a bootstrap sample of the training recipe groups (bagging). */
  bootstrap?: boolean;
  /** Standard deviation of Gaussian noise added to the standardised inputs each epoch. */
  inputNoise?: number;
  /** Overrides the batch size that follows the row count (batchSizeFor). */
  batchSize?: number;
  /** Overrides the training's early-stopping patience (TrainOptions.patience). */
  patience?: number;
}

/** What the trainer serves (and the benchmark's first candidate). */
export const MODEL_CONFIG: ModelConfig = {
  members: 5,
  units: [64, 32],
  loss: 'huber',
  l2: 0.01,
  learningRate: 0.002,
};

export interface TrainOptions {
  /** The ensemble's seed; member m uses seed × 100 + 3m (and the two numbers after it). */
  seed: number;
  maxEpochs: number;
  patience: number;
  config?: ModelConfig;
  /** The target's transform (lib/features Preprocessing target): needed by the IBU-scale losses. */
  target?: { mean: number; std: number; hi: number };
  /**
   * Epochs counted over all members: member m's epoch e is m × (its epoch bound) + e, out of
   * `of` (the bound times the members).
   */
  onEpoch?: (epoch: number, loss: number, valLoss: number, of: number) => void | Promise<void>;
}

export interface TrainResult {
  /** One network: the members side by side, averaged. */
  model: TF.LayersModel;
  /** The first member's curve (each member has its own; the plot draws one). */
  history: Array<{ epoch: number; loss: number; val_loss: number }>;
  bestEpoch: number;
  parameters: Record<string, number | string>;
}

/** rows: the training rows, whose recipe groups a bootstrap resamples. */
type Data = { x: Float32Array; y: Float32Array; rows?: readonly FeatureInput[] };

export const memberSeed = (seed: number, member: number) => seed * 100 + 3 * member;

function memberLayers(tf: Tf, config: ModelConfig, seed: number, inputs: number, regularize: boolean) {
  const kernelRegularizer = regularize ? tf.regularizers.l2({ l2: config.l2 }) : undefined;
  return [
    tf.layers.dense({
      inputShape: [inputs],
      units: config.units[0],
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed }),
      kernelRegularizer,
    }),
    tf.layers.dense({
      units: config.units[1],
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: seed + 1 }),
      kernelRegularizer,
    }),
    tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 2 }) }),
  ];
}

/** One member: a 2-hidden-layer MLP. */
export function buildModel(tf: Tf, inputs: number, seed: number, config = MODEL_CONFIG): TF.Sequential {
  const model = tf.sequential();
  for (const layer of memberLayers(tf, config, seed, inputs, true)) model.add(layer);
  return model;
}

/** Batch size grows with the data so 100k rows train in seconds, while 300 rows still get many steps. */
export const batchSizeFor = (rows: number) =>
  Math.min(1024, Math.max(16, 2 ** Math.round(Math.log2(rows / 20))));

/** Large data needs fewer passes: about two million row-visits per member. */
const epochsFor = (rows: number, maxEpochs: number) =>
  Math.min(maxEpochs, Math.max(10, Math.ceil(2_000_000 / rows)));

/** Trains the ensemble, each member early-stopped on the validation loss with its best epoch's weights. */
export async function trainModel(
  tf: Tf,
  train: Data,
  validation: Data,
  inputs: number,
  options: TrainOptions,
): Promise<TrainResult> {
  const config = options.config ?? MODEL_CONFIG;
  const maxEpochs = epochsFor(train.y.length, options.maxEpochs);
  const members: Array<Awaited<ReturnType<typeof trainMember>>> = [];
  try {
    for (let m = 0; m < config.members; m += 1) {
      members.push(
        await trainMember(tf, train, validation, inputs, config, memberSeed(options.seed, m), {
          maxEpochs,
          patience: config.patience ?? options.patience,
          target: options.target,
          onEpoch: (epoch, loss, valLoss) =>
            options.onEpoch?.(m * maxEpochs + epoch, loss, valLoss, config.members * maxEpochs),
        }),
      );
    }
    const model = averaged(
      tf,
      inputs,
      config,
      members.map((member) => member.model),
    );
    const first = members[0] as (typeof members)[number];
    return {
      model,
      history: first.history,
      bestEpoch: first.bestEpoch,
      parameters: {
        members: config.members,
        layers: `${config.members} × ${config.units.join('-')}-1 relu, mean of the members`,
        loss: config.loss,
        l2: config.l2,
        optimizer: 'adam',
        learningRate: config.learningRate,
        batchSize: config.batchSize ?? batchSizeFor(train.y.length),
        ...(config.bootstrap ? { bootstrap: 'recipe groups' } : {}),
        ...(config.inputNoise ? { inputNoise: config.inputNoise } : {}),
        maxEpochs,
        patience: config.patience ?? options.patience,
        seed: options.seed,
        bestEpochs: members.map((member) => member.bestEpoch).join(','),
      },
    };
  } finally {
    for (const member of members) member.model.dispose();
  }
}

/**
 * The ensemble as one network of three dense layers that computes the mean of the members: layer 1
 * is the members' first layers side by side, layer 2 is block-diagonal (each member's second layer
 * on its own units, zeros between members), layer 3 holds each member's output weights divided by
 * the number of members, and the mean of their output biases. The same function as averaging the
 * members' outputs (up to float rounding), in three matrix products per micro-batch instead of
 * three per member and an average: 2-3x faster per /predict batch on the wasm backend.
 */
export function averaged(
  tf: Tf,
  inputs: number,
  config: ModelConfig,
  members: TF.LayersModel[],
): TF.LayersModel {
  const n = members.length;
  const [u1, u2] = config.units;
  const weightsOf = (member: TF.LayersModel, layer: number) =>
    (member.layers[layer] as TF.layers.Layer).getWeights().map((w) => w.dataSync() as Float32Array);
  const w1 = new Float32Array(inputs * n * u1);
  const b1 = new Float32Array(n * u1);
  const w2 = new Float32Array(n * u1 * n * u2);
  const b2 = new Float32Array(n * u2);
  const w3 = new Float32Array(n * u2);
  let b3 = 0;
  members.forEach((member, m) => {
    const [k1, c1] = weightsOf(member, 0) as [Float32Array, Float32Array];
    const [k2, c2] = weightsOf(member, 1) as [Float32Array, Float32Array];
    const [k3, c3] = weightsOf(member, 2) as [Float32Array, Float32Array];
    // Kernels are row-major [in, out].
    for (let i = 0; i < inputs; i += 1)
      for (let j = 0; j < u1; j += 1) w1[i * n * u1 + m * u1 + j] = k1[i * u1 + j] as number;
    b1.set(c1, m * u1);
    for (let i = 0; i < u1; i += 1)
      for (let j = 0; j < u2; j += 1) w2[(m * u1 + i) * n * u2 + m * u2 + j] = k2[i * u2 + j] as number;
    b2.set(c2, m * u2);
    for (let i = 0; i < u2; i += 1) w3[m * u2 + i] = (k3[i] as number) / n;
    b3 += (c3[0] as number) / n;
  });
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [inputs], units: n * u1, activation: 'relu' }));
  model.add(tf.layers.dense({ units: n * u2, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 1 }));
  const set = (layer: number, kernel: Float32Array, shape: [number, number], bias: Float32Array) =>
    (model.layers[layer] as TF.layers.Layer).setWeights([tf.tensor2d(kernel, shape), tf.tensor1d(bias)]);
  // setWeights copies the values into the layers' variables; tidy frees the tensors passed.
  tf.tidy(() => {
    set(0, w1, [inputs, n * u1], b1);
    set(1, w2, [n * u1, n * u2], b2);
    set(2, w3, [n * u2, 1], Float32Array.of(b3));
  });
  return model;
}

/**
 * The loss on the network's output (standardised log1p IBU). The IBU-scale ones map output and
 * target back to IBU (or its square root) and divide by that map's slope at the mean target, so
 * the loss stays on the log scale's order and the L2 penalty weighs as much as with the others.
 * The log is capped one unit above the training range so an early wild output cannot overflow.
 */
export function lossFor(tf: Tf, config: ModelConfig, target?: TrainOptions['target']) {
  if (config.loss === 'huber') return tf.losses.huberLoss;
  if (config.loss === 'absolute') return tf.losses.absoluteDifference;
  if (!target) throw new Error(`the ${config.loss} loss needs the target's transform`);
  const { mean, std, hi } = target;
  const sqrt = config.loss === 'sqrt-absolute';
  const slope = sqrt ? (std * Math.exp(mean)) / (2 * Math.sqrt(Math.expm1(mean))) : std * Math.exp(mean);
  const back = (y: TF.Tensor) => {
    const ibu = tf.relu(tf.expm1(tf.minimum(tf.add(tf.mul(y, std), mean), hi + 1)));
    return sqrt ? tf.sqrt(tf.add(ibu, 1e-6)) : ibu;
  };
  if (config.loss === 'ibu-huber') {
    return (yTrue: TF.Tensor, yPred: TF.Tensor) =>
      tf.tidy(() => tf.losses.huberLoss(tf.div(back(yTrue), slope), tf.div(back(yPred), slope)) as TF.Scalar);
  }
  return (yTrue: TF.Tensor, yPred: TF.Tensor) =>
    tf.tidy(() => tf.div(tf.mean(tf.abs(tf.sub(back(yPred), back(yTrue)))), slope) as TF.Scalar);
}

/** Row indices of a bootstrap sample of the recipe groups: groups drawn with replacement, each with all its rows. */
export function bootstrapRows(rows: readonly FeatureInput[], random: () => number): number[] {
  const byGroup = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const key = recipeGroup(row);
    byGroup.set(key, [...(byGroup.get(key) ?? []), i]);
  });
  const groups = [...byGroup.values()];
  return groups.flatMap(() => groups[Math.floor(random() * groups.length)] as number[]);
}

/** A standard normal draw (Box–Muller) from the seeded generator. */
const gaussian = (random: () => number) =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

async function trainMember(
  tf: Tf,
  train: Data,
  validation: Data,
  inputs: number,
  config: ModelConfig,
  seed: number,
  options: {
    maxEpochs: number;
    patience: number;
    target?: TrainOptions['target'];
    onEpoch: (epoch: number, loss: number, valLoss: number) => void | Promise<void>;
  },
) {
  const model = buildModel(tf, inputs, seed, config);
  model.compile({ optimizer: tf.train.adam(config.learningRate), loss: lossFor(tf, config, options.target) });
  const random = seededRandom(seed);
  if (config.bootstrap && !train.rows) throw new Error('a bootstrap needs the training rows');
  // Drawn from the member's own generator before any shuffle, so a member's sample repeats for a seed.
  const sample = config.bootstrap
    ? bootstrapRows(train.rows as FeatureInput[], random)
    : Array.from({ length: train.y.length }, (_, i) => i);
  const n = sample.length;
  const batchSize = config.batchSize ?? batchSizeFor(n);
  const xVal = tf.tensor2d(validation.x, [validation.y.length, inputs]);
  const yVal = tf.tensor2d(validation.y, [validation.y.length, 1]);
  const history: TrainResult['history'] = [];
  let best = { valLoss: Number.POSITIVE_INFINITY, epoch: 0, weights: [] as TF.Tensor[] };

  for (let epoch = 1; epoch <= options.maxEpochs; epoch += 1) {
    // Our own seeded shuffle (tfjs would use Math.random).
    const order = shuffled(n, random);
    const xs = new Float32Array(n * inputs);
    const ys = new Float32Array(n);
    order.forEach((at, to) => {
      const from = sample[at] as number;
      xs.set(train.x.subarray(from * inputs, (from + 1) * inputs), to * inputs);
      ys[to] = train.y[from] as number;
    });
    if (config.inputNoise)
      for (let i = 0; i < xs.length; i += 1) xs[i] = (xs[i] as number) + config.inputNoise * gaussian(random);
    const x = tf.tensor2d(xs, [n, inputs]);
    const y = tf.tensor2d(ys, [n, 1]);
    const fit = await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    x.dispose();
    y.dispose();
    const trainLoss = fit.history.loss?.[0] as number;
    const valLoss = tf.tidy(() => (model.evaluate(xVal, yVal) as TF.Scalar).dataSync()[0] as number);
    history.push({ epoch, loss: trainLoss, val_loss: valLoss });
    await options.onEpoch(epoch, trainLoss, valLoss);
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
  return { model, history, bestEpoch: best.epoch };
}
