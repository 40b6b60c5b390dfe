import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decidePromotion } from './promotion.js';

const VERSION = '20261124T120000000Z-abc123';
// 40 test rows; errors given per row, so each case states the MAEs it compares.
const rows = <T = number>(f: (i: number) => T) => Array.from({ length: 40 }, (_, i) => f(i));
const flat = (mae: number) => rows(() => mae);
// Around `mae`, ±2 alternating: a spread for the bootstrap to resample.
const spread = (mae: number) => rows((i) => mae + (i % 2 === 0 ? 2 : -2));

describe('decidePromotion', () => {
  it('promotes a candidate that beats the best baseline and the champion by the bootstrap margin', () => {
    const decision = decidePromotion({
      candidate: spread(8),
      baselines: { median: flat(14), physics: flat(10), linear: flat(12) },
      champion: { version: VERSION, errors: spread(12) },
    });
    assert.equal(decision.promote, true);
    // Every row is 4 IBU better than the champion: the interval is that point.
    assert.deepEqual(decision.numbers.champion, { version: VERSION, mae: 12, diffCi95: [-4, -4] });
    assert.deepEqual(decision.numbers.bestBaseline, { name: 'physics', mae: 10 });
    assert.equal(decision.numbers.candidateMae, 8);
    assert.equal(decision.numbers.testRows, 40);
    assert.deepEqual(decision.numbers.baselineMaes, { median: 14, physics: 10, linear: 12 });
    assert.equal(
      decision.reason,
      `promoted: test MAE 8.00 beats champion ${VERSION}'s 12.00 (difference 95% CI [-4.00, -4.00]) and beats the best baseline (physics) at 10.00`,
    );
  });

  it('does not promote a lower MAE that is within the bootstrap margin of the champion', () => {
    // Lower on average by 0.25, but half the rows are 5 worse and half 5.5 better: noise.
    const champion = flat(10);
    const candidate = rows((i) => (i % 2 === 0 ? 15 : 4.5));
    const decision = decidePromotion({
      candidate,
      baselines: { median: flat(20) },
      champion: { version: VERSION, errors: champion },
    });
    assert.equal(decision.numbers.candidateMae, 9.75);
    assert.equal(decision.promote, false);
    const ci = decision.numbers.champion?.diffCi95;
    assert.ok(ci && ci[0] < 0 && ci[1] > 0, `interval ${ci} should straddle zero`);
    assert.match(
      decision.reason,
      /^not promoted: test MAE 9\.75 does not beat champion .*'s 10\.00 .* by the bootstrap margin$/,
    );
  });

  it('resamples recipe groups, not rows, when groups are given', () => {
    // 20 rows better by 1 and 20 worse by 0.5: by rows, the mean difference (−0.25) is clear of
    // zero; when each half is copies of one recipe, there are two independent observations and it is not.
    const champion = flat(10);
    const candidate = rows((i) => (i < 20 ? 9 : 10.5));
    const byRow = decidePromotion({
      candidate,
      baselines: {},
      champion: { version: VERSION, errors: champion },
    });
    const groups = rows((i) => (i < 20 ? 'a' : 'b'));
    const byGroup = decidePromotion({
      candidate,
      baselines: {},
      champion: { version: VERSION, errors: champion },
      groups,
    });
    assert.equal(byRow.promote, true);
    assert.equal(byGroup.promote, false);
  });

  it('does not promote a candidate that does not beat the best baseline, whatever the champion', () => {
    const decision = decidePromotion({
      candidate: flat(10),
      baselines: { median: flat(14), physics: flat(9.5), linear: flat(12) },
      champion: { version: VERSION, errors: flat(30) },
    });
    assert.equal(decision.promote, false);
    assert.equal(
      decision.reason,
      'not promoted: test MAE 10.00 does not beat the best baseline (physics) at 9.50',
    );
    // A tie does not beat it either.
    assert.equal(decidePromotion({ candidate: flat(9.5), baselines: { physics: flat(9.5) } }).promote, false);
  });

  it('promotes the first candidate that beats the best baseline when there is no champion', () => {
    const decision = decidePromotion({
      candidate: flat(8),
      baselines: { median: flat(9), linear: flat(10) },
    });
    assert.equal(decision.promote, true);
    assert.equal(
      decision.reason,
      'promoted: no champion yet; test MAE 8.00 beats the best baseline (median) at 9.00',
    );
    assert.equal(decision.numbers.champion, null);
  });

  it('never promotes a candidate whose MAE is NaN', () => {
    const candidate = rows((i) => (i === 3 ? Number.NaN : 1));
    const decision = decidePromotion({ candidate, baselines: { median: flat(20) } });
    assert.equal(decision.promote, false);
    assert.equal(decision.reason, "not promoted: the candidate's test MAE is not a number");
    assert.equal(decision.numbers.candidateMae, null);
    assert.equal(
      decidePromotion({ candidate, baselines: {}, champion: { version: VERSION, errors: flat(50) } }).promote,
      false,
    );
  });

  it('does not let a NaN champion or a NaN baseline block a valid candidate', () => {
    const nanChampion = decidePromotion({
      candidate: flat(8),
      baselines: { median: flat(9) },
      champion: { version: VERSION, errors: rows((i) => (i === 0 ? Number.NaN : 1)) },
    });
    assert.equal(nanChampion.promote, true);
    assert.deepEqual(nanChampion.numbers.champion, { version: VERSION, mae: null, diffCi95: null });
    assert.match(
      nanChampion.reason,
      /cannot be scored on this split \(MAE not a number\), so it does not block$/,
    );

    const nanBaseline = decidePromotion({
      candidate: flat(8),
      baselines: { linear: rows(() => Number.NaN), median: flat(9) },
    });
    assert.equal(nanBaseline.promote, true);
    assert.deepEqual(nanBaseline.numbers.bestBaseline, { name: 'median', mae: 9 });
    assert.equal(nanBaseline.numbers.baselineMaes.linear, null);
  });

  it('records numbers that survive JSON (no NaN turned into a silent null elsewhere)', () => {
    const decision = decidePromotion({ candidate: flat(8), baselines: { median: flat(9) } });
    assert.deepEqual(JSON.parse(JSON.stringify(decision.numbers)), decision.numbers);
  });
});
