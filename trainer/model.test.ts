import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { loadTf, type Tf } from '../lib/tfjs.js';
import { averaged, bootstrapRows, buildModel, lossFor, MODEL_CONFIG, trainModel } from './model.js';
import { seededRandom } from './rng.js';

let tf: Tf;
before(async () => {
  tf = (await loadTf('cpu')).tf;
});

const INPUTS = 3;
const rows = (n: number, offset: number) => {
  const x = new Float32Array(n * INPUTS);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i += 1) {
    const a = Math.sin(i + offset);
    const b = Math.cos(2 * i + offset);
    x.set([a, b, a * b], i * INPUTS);
    y[i] = 0.8 * a - 0.5 * b;
  }
  return { x, y };
};
const predict = (model: TF.LayersModel, x: Float32Array) =>
  Array.from(
    tf.tidy(() => (model.predict(tf.tensor2d(x, [x.length / INPUTS, INPUTS])) as TF.Tensor).dataSync()),
  );

describe('the ensemble', () => {
  it('serves the mean of its members as one network, which saves and loads as such', async () => {
    const config = { ...MODEL_CONFIG, members: 3 };
    const members = [11, 22, 33].map((seed) => buildModel(tf, INPUTS, seed, config));
    const model = averaged(tf, INPUTS, config, members);
    const { x } = rows(20, 0.5);
    const each = members.map((member) => predict(member, x));
    const mean = x.length / INPUTS;
    const got = predict(model, x);
    assert.equal(got.length, mean);
    got.forEach((value, i) => {
      const expected = each.reduce((sum, p) => sum + (p[i] as number), 0) / each.length;
      assert.ok(Math.abs(value - expected) < 1e-5, `row ${i}: ${value} vs ${expected}`);
    });
    // The members differ, so the mean is not any one of them.
    assert.ok(Math.abs((each[0]?.[0] as number) - (each[1]?.[0] as number)) > 1e-4);
    let saved: TF.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    assert.ok(saved);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
    assert.deepEqual(predict(loaded, x), got);
    for (const m of [...members, model, loaded]) m.dispose();
  });

  it('trains every member, repeats for a seed, and learns a simple function', async () => {
    const config = { ...MODEL_CONFIG, members: 2 };
    const train = rows(120, 0);
    const validation = rows(40, 1000);
    const options = { seed: 5, maxEpochs: 40, patience: 10, config };
    const epochs: number[] = [];
    const first = await trainModel(tf, train, validation, INPUTS, {
      ...options,
      onEpoch: (epoch, _loss, _valLoss, of) => {
        epochs.push(epoch);
        assert.equal(of, 80);
      },
    });
    const again = await trainModel(tf, train, validation, INPUTS, options);
    assert.equal(first.parameters.members, 2);
    assert.equal(String(first.parameters.bestEpochs).split(',').length, 2);
    // Epochs are counted over both members: the second starts after the first's bound.
    assert.ok(epochs.some((e) => e > 40));
    const p1 = predict(first.model, validation.x);
    assert.deepEqual(predict(again.model, validation.x), p1);
    const mae = p1.reduce((sum, p, i) => sum + Math.abs(p - (validation.y[i] as number)), 0) / p1.length;
    const constant = Array.from(validation.y).reduce((sum, y) => sum + Math.abs(y), 0) / p1.length;
    assert.ok(mae < constant / 2, `MAE ${mae} against ${constant} for predicting 0`);
    first.model.dispose();
    again.model.dispose();
  });
});

describe('the IBU-scale losses', () => {
  // A target whose model space is standardised log1p: log1p(IBU) = 3 + 0.5 y.
  const target = { mean: 3, std: 0.5, hi: 6 };
  const loss = (kind: 'ibu-absolute' | 'sqrt-absolute', ibuTrue: number[], ibuPred: number[]) => {
    const toModel = (ibu: number) => (Math.log1p(ibu) - target.mean) / target.std;
    const fn = lossFor(tf, { ...MODEL_CONFIG, loss: kind }, target) as (
      a: TF.Tensor,
      b: TF.Tensor,
    ) => TF.Scalar;
    const out = fn(
      tf.tensor2d(ibuTrue.map(toModel), [ibuTrue.length, 1]),
      tf.tensor2d(ibuPred.map(toModel), [ibuPred.length, 1]),
    );
    const value = out.dataSync()[0] as number;
    out.dispose();
    return value;
  };

  it('is the mean absolute error in IBU (or root IBU), over the slope of that scale at the mean target', () => {
    // Errors of 10 and 30 IBU: a mean of 20, over std × e^mean.
    const ibu = loss('ibu-absolute', [20, 100], [30, 70]);
    assert.ok(Math.abs(ibu - 20 / (0.5 * Math.exp(3))) < 1e-4, String(ibu));
    // √ errors: |√36 − √16| = 2 and |√81 − √100| = 1, mean 1.5, over std × e^mean / (2 √(e^mean − 1)).
    const sqrt = loss('sqrt-absolute', [16, 100], [36, 81]);
    const slope = (0.5 * Math.exp(3)) / (2 * Math.sqrt(Math.expm1(3)));
    assert.ok(Math.abs(sqrt - 1.5 / slope) < 1e-4, String(sqrt));
  });

  it('weighs an error on a bitter beer more than the log loss does', () => {
    // 20 IBU off at 20 and at 200 IBU: equal in IBU, far apart in log.
    assert.ok(Math.abs(loss('ibu-absolute', [20], [40]) - loss('ibu-absolute', [200], [220])) < 1e-4);
  });

  it('needs the target transform', () => {
    assert.throws(() => lossFor(tf, { ...MODEL_CONFIG, loss: 'ibu-absolute' }), /target/);
  });
});

describe('bagging', () => {
  const row = (abv: number, i: number) => ({ abv, target_og: 1050 + i, target_fg: 1010 });
  // Three recipe groups of sizes 1, 2 and 3 (a group is one ABV/OG/FG).
  const table = [row(4, 0), row(5, 1), row(5, 1), row(6, 2), row(6, 2), row(6, 2)];

  it('draws recipe groups with replacement, each with all its rows, as many draws as groups', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 20; seed += 1) {
      const sample = bootstrapRows(table, seededRandom(seed));
      const groups = [0, 1, 3].map(
        (first, g) => sample.filter((i) => table[i]?.abv === table[first]?.abv).length / (g + 1),
      );
      // Every group comes whole: its row count is a multiple of its size.
      for (const count of groups) assert.ok(Number.isInteger(count), `seed ${seed}: ${sample}`);
      assert.equal(
        groups.reduce((a, b) => a + b, 0),
        3,
      );
      seen.add(sample.join(','));
    }
    assert.ok(seen.size > 3, 'different seeds draw different samples');
    assert.deepEqual(bootstrapRows(table, seededRandom(4)), bootstrapRows(table, seededRandom(4)));
  });

  it('trains bagged, noisy members that repeat for a seed and differ from unbagged ones', async () => {
    const data = rows(60, 0);
    // Twelve recipe groups of five rows each.
    const train = { ...data, rows: Array.from({ length: 60 }, (_, i) => row(4 + (i % 12), i % 12)) };
    const validation = rows(20, 1000);
    const config = { ...MODEL_CONFIG, members: 1, bootstrap: true, inputNoise: 0.1 };
    const options = { seed: 3, maxEpochs: 5, patience: 5, config };
    const first = await trainModel(tf, train, validation, INPUTS, options);
    const again = await trainModel(tf, train, validation, INPUTS, options);
    const plain = await trainModel(tf, train, validation, INPUTS, {
      ...options,
      config: { ...MODEL_CONFIG, members: 1 },
    });
    const p = predict(first.model, validation.x);
    assert.deepEqual(predict(again.model, validation.x), p);
    assert.notDeepEqual(predict(plain.model, validation.x), p);
    assert.equal(first.parameters.bootstrap, 'recipe groups');
    for (const m of [first, again, plain]) m.model.dispose();
    await assert.rejects(trainModel(tf, data, validation, INPUTS, options), /training rows/);
  });
});
