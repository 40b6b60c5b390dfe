import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { fitPreprocessing } from './features.js';

describe('fitPreprocessing', () => {
  it('fits the target range of 300,000 training rows (a spread of that many arguments overflows the stack)', () => {
    const n = 300_000;
    const column = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
    const train = aq.table({
      id: column((i) => i + 1),
      abv: column((i) => 4 + (i % 7)),
      target_fg: column(() => 1010),
      target_og: column((i) => 1040 + (i % 30)),
      ebc: column((i) => 10 + (i % 50)),
      srm: column((i) => 5 + (i % 25)),
      ph: column(() => 4.4),
      // IBU from 0 to 99, lowest at row 123,456 and highest at row 200,000.
      ibu: column((i) => (i === 123_456 ? 0 : i === 200_000 ? 99 : 10 + (i % 50))),
    });
    const p = fitPreprocessing(train);
    assert.equal(p.target.lo, Math.log1p(0));
    assert.equal(p.target.hi, Math.log1p(99));
  });
});
