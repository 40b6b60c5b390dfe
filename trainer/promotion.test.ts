import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decidePromotion } from './promotion.js';

// Only the MAE decides; the other figures are there to show they are ignored.
const scored = (mae: number) => ({ mae, mse: 1, rmse: 1, r2: 0.5 });
const champion = (mae: number) => ({ version: '20261124T120000000Z-abc123', ...scored(mae) });

describe('decidePromotion', () => {
  it('promotes a model that beats both the baseline and the champion', () => {
    assert.deepEqual(decidePromotion(scored(8), scored(10), champion(9)), {
      promote: true,
      reason:
        "promoted: test MAE 8.00 beats champion 20261124T120000000Z-abc123's 9.00 and the baseline's 10.00",
    });
  });

  it('does not promote a model that loses to the baseline, whatever the champion', () => {
    const reason = "not promoted: test MAE 11.00 does not beat the linear baseline's 10.00";
    assert.deepEqual(decidePromotion(scored(11), scored(10), champion(12)), { promote: false, reason });
    assert.deepEqual(decidePromotion(scored(11), scored(10)), { promote: false, reason });
  });

  it('does not promote a model that beats the baseline but loses to the champion', () => {
    assert.deepEqual(decidePromotion(scored(8), scored(10), champion(7.5)), {
      promote: false,
      reason: "not promoted: test MAE 8.00 does not beat champion 20261124T120000000Z-abc123's 7.50",
    });
  });

  it('does not promote on a tie with the baseline or with the champion', () => {
    assert.equal(decidePromotion(scored(10), scored(10)).promote, false);
    assert.match(decidePromotion(scored(10), scored(10)).reason, /does not beat the linear baseline's/);
    assert.equal(decidePromotion(scored(8), scored(10), champion(8)).promote, false);
    assert.match(decidePromotion(scored(8), scored(10), champion(8)).reason, /does not beat champion/);
  });

  it('promotes the first model that beats the baseline when there is no champion', () => {
    assert.deepEqual(decidePromotion(scored(8), scored(10)), {
      promote: true,
      reason: "promoted: no champion yet; test MAE 8.00 beats the baseline's 10.00",
    });
  });

  it('compares the exact figures, not the two decimals the reason shows', () => {
    const decision = decidePromotion(scored(8.004), scored(8.001));
    assert.equal(decision.promote, false);
    assert.equal(decision.reason, "not promoted: test MAE 8.00 does not beat the linear baseline's 8.00");
  });

  it('never promotes on a NaN MAE', () => {
    assert.equal(decidePromotion(scored(Number.NaN), scored(10)).promote, false);
    assert.equal(decidePromotion(scored(8), scored(Number.NaN)).promote, false);
    assert.equal(decidePromotion(scored(8), scored(10), champion(Number.NaN)).promote, false);
  });
});
