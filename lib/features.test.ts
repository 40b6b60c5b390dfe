import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featureVector, fitPreprocessing, fixInputs, hasSuspectTarget } from './features.js';

describe('fitPreprocessing', () => {
  it('fits the target range of 300,000 training rows (a spread of that many arguments overflows the stack)', () => {
    const n = 300_000;
    const train = Array.from({ length: n }, (_, i) => ({
      abv: 4 + (i % 7),
      target_fg: 1010,
      target_og: 1040 + (i % 30),
      ebc: 10 + (i % 50),
      srm: 5 + (i % 25),
      ph: 4.4,
      // IBU from 0 to 99, lowest at row 123,456 and highest at row 200,000.
      ibu: i === 123_456 ? 0 : i === 200_000 ? 99 : 10 + (i % 50),
    }));
    const p = fitPreprocessing(train);
    assert.equal(p.target.lo, Math.log1p(0));
    assert.equal(p.target.hi, Math.log1p(99));
  });
});

describe('data fixes', () => {
  it('swaps a final gravity above the original one back', () => {
    assert.deepEqual(fixInputs({ target_og: 1010, target_fg: 1060, abv: 6 }), {
      target_og: 1060,
      target_fg: 1010,
      abv: 6,
    });
    assert.deepEqual(fixInputs({ target_og: 1050, target_fg: 1050 }), { target_og: 1050, target_fg: 1050 });
    assert.deepEqual(fixInputs({ target_og: null, target_fg: 1060 }), { target_og: null, target_fg: 1060 });
  });

  it('treats a pH outside [0, 14] as missing', () => {
    assert.equal(fixInputs({ ph: 79 }).ph, null);
    assert.equal(fixInputs({ ph: -0.1 }).ph, null);
    assert.equal(fixInputs({ ph: 0 }).ph, 0);
    assert.equal(fixInputs({ ph: 14 }).ph, 14);
    assert.equal(fixInputs({ ph: 4.4 }).ph, 4.4);
  });

  it('does not change the row it is given', () => {
    const row = { target_og: 1010, target_fg: 1060, ph: 79 };
    fixInputs(row);
    assert.deepEqual(row, { target_og: 1010, target_fg: 1060, ph: 79 });
  });

  it('flags an IBU equal to the OG, and nothing else', () => {
    assert.equal(hasSuspectTarget({ ibu: 1085, target_og: 1085 }), true);
    assert.equal(hasSuspectTarget({ ibu: 85, target_og: 1085 }), false);
    assert.equal(hasSuspectTarget({ ibu: null, target_og: null }), false);
    assert.equal(hasSuspectTarget({ ibu: 1085, target_og: null }), false);
  });
});

describe('feature recipes', () => {
  const rows = [
    { id: 1, ibu: 20, abv: 4, target_og: 1040, target_fg: 1008, ebc: 10, srm: 5, ph: 4.2 },
    { id: 2, ibu: 60, abv: 7, target_og: 1065, target_fg: 1012, ebc: 30, srm: 15, ph: 4.4 },
    { id: 3, ibu: 100, abv: 10, target_og: 1090, target_fg: 1020, ebc: 80, srm: 40, ph: 4.6 },
  ];
  const table = rows;

  it('recipe 2 derives the gravity features and applies the data fixes to every input row', () => {
    const p = fitPreprocessing(table, 2);
    assert.equal(p.recipe, 2);
    assert.deepEqual(p.features, ['abv', 'og_points', 'attenuation', 'abv_per_og_point', 'ebc', 'ph']);
    // Unstandardise the vector to read the features back.
    const row = { abv: 6, target_og: 1060, target_fg: 1015, ebc: 20, ph: 4.3 };
    const back = featureVector(row, p).map((z, j) => {
      const f = p.features[j] as keyof typeof p.means;
      return z * (p.stds[f] as number) + (p.means[f] as number);
    });
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
    close(back[0] as number, Math.log1p(6));
    close(back[1] as number, Math.log1p(60));
    close(back[2] as number, 45 / 60);
    close(back[3] as number, 6 / 60);
    close(back[4] as number, Math.log1p(20));
    close(back[5] as number, 4.3);
    // A swapped pair and a pH of 79 give what the fixed row gives (the median pH, 4.4, for 79).
    assert.deepEqual(
      featureVector({ ...row, target_og: 1015, target_fg: 1060, ph: 79 }, p),
      featureVector({ ...row, ph: 4.4 }, p),
    );
  });

  it('recipe 1 (a champion trained before recipes) is applied as it was: the six inputs, no fixes', () => {
    const p = fitPreprocessing(table, 1);
    assert.equal(p.recipe, undefined);
    assert.deepEqual(p.features, ['abv', 'target_fg', 'target_og', 'ebc', 'srm', 'ph']);
    const swapped = { abv: 6, target_og: 1015, target_fg: 1060, ebc: 20, srm: 10, ph: 79 };
    const z = featureVector(swapped, p);
    const expected = [Math.log1p(6), 1060, 1015, Math.log1p(20), Math.log1p(10), 79].map((x, j) => {
      const f = p.features[j] as keyof typeof p.means;
      return (x - (p.means[f] as number)) / (p.stds[f] as number);
    });
    assert.deepEqual(z, expected);
  });

  it('refuses a preprocessing that names a feature it has no scale for', () => {
    const p = fitPreprocessing(table, 2);
    delete p.means.og_points;
    assert.throws(() => featureVector({}, p), /no mean\/std for feature og_points/);
  });
});
