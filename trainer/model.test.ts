import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { loadTf, type Tf } from '../lib/tfjs.js';
import { averaged, buildModel, MODEL_CONFIG, trainModel } from './model.js';

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
