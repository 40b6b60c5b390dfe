import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { LayersModel } from '@tensorflow/tfjs';
import { loadTf, type Tf } from '../../lib/tfjs.js';
import { ModelHolder, type ModelSource } from '../../server/modelHolder.js';
import { metadataFor, tinyModel } from './models.js';

// Readiness decides whether a load balancer sends a task traffic, so each state is pinned here:
// before the registry answers, with no champion, with a champion that loads, and one that does not.
const quiet = { info: () => {}, error: () => {} };
let tf: Tf;

before(async () => {
  tf = (await loadTf('cpu')).tf;
});

function source(champion: () => Promise<string | undefined>, loads: boolean): ModelSource {
  return {
    readChampion: champion,
    load: async (version) => {
      if (!loads) throw new Error(`models/ibu/${version}/model.json: corrupt`);
      return { model: tinyModel(tf, 1), metadata: metadataFor(version, true) };
    },
  };
}

describe('ModelHolder.ready', () => {
  test('is false until champion.json has been read, true once it names no champion', async () => {
    let answer: (v: string | undefined) => void = () => {};
    const holder = new ModelHolder(
      tf,
      source(() => new Promise((r) => (answer = r)), true),
      quiet,
    );
    const refreshed = holder.refresh();
    assert.equal(holder.ready, false);
    answer(undefined);
    await refreshed;
    assert.equal(holder.ready, true);
    assert.equal(holder.version, undefined);
    await holder.close();
  });

  test('stays false while the registry cannot be read', async () => {
    const holder = new ModelHolder(
      tf,
      source(() => Promise.reject(new Error('AccessDenied')), true),
      quiet,
    );
    await holder.refresh();
    assert.equal(holder.ready, false);
    await holder.close();
  });

  test('is true with the champion loaded', async () => {
    const holder = new ModelHolder(
      tf,
      source(async () => 'v1', true),
      quiet,
    );
    await holder.refresh();
    assert.equal(holder.ready, true);
    assert.equal(holder.version, 'v1');
    await holder.close();
  });

  test('is false when a champion is named but does not load', async () => {
    const holder = new ModelHolder(
      tf,
      source(async () => 'v1', false),
      quiet,
    );
    await holder.refresh();
    assert.equal(holder.ready, false);
    assert.equal(holder.version, undefined);
    await holder.close();
  });
});

describe('ModelHolder swap', () => {
  test('disposes the old model as soon as the new one is current', async () => {
    let champion = 'v1';
    const loaded = new Map<string, LayersModel>();
    const holder = new ModelHolder(
      tf,
      {
        readChampion: async () => champion,
        load: async (version) => {
          const model = tinyModel(tf, version === 'v1' ? 1 : 2);
          loaded.set(version, model);
          return { model, metadata: metadataFor(version, true) };
        },
      },
      quiet,
    );
    await holder.refresh();
    assert.equal(holder.predict([{ abv: 6 }]).version, 'v1');
    const tensors = tf.memory().numTensors;

    champion = 'v2';
    await holder.refresh();
    assert.equal(holder.version, 'v2');
    assert.throws(() => loaded.get('v1')?.getWeights(), /already disposed/);
    assert.equal(tf.memory().numTensors, tensors, 'only the new model is held');
    assert.equal(holder.predict([{ abv: 6 }]).version, 'v2');

    await holder.close();
    assert.throws(() => loaded.get('v2')?.getWeights(), /already disposed/);
  });
});
