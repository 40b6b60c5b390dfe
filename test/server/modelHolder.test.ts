import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
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
