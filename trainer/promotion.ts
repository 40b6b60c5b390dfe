// The promotion rule, and the only place it lives: a new model is promoted only if its test MAE
// beats both the linear baseline's and the current champion's, all scored on the same test split.
// The comparisons are strict, so a tie does not promote, and a NaN on either side never does.
// Pure, so the rule can change (and be tested) without S3, Redis or a trained model.
import type { MetricSet } from '../lib/modelRegistry.js';

export interface PromotionDecision {
  promote: boolean;
  /** One line for the metadata, the logs and `brewstream train`. */
  reason: string;
}

const beats = (a: MetricSet, b: MetricSet) => a.mae < b.mae;
const mae = (m: MetricSet) => m.mae.toFixed(2);

export function decidePromotion(
  candidate: MetricSet,
  baseline: MetricSet,
  champion?: MetricSet & { version: string },
): PromotionDecision {
  if (!beats(candidate, baseline)) {
    return {
      promote: false,
      reason: `not promoted: test MAE ${mae(candidate)} does not beat the linear baseline's ${mae(baseline)}`,
    };
  }
  if (champion && !beats(candidate, champion)) {
    return {
      promote: false,
      reason: `not promoted: test MAE ${mae(candidate)} does not beat champion ${champion.version}'s ${mae(champion)}`,
    };
  }
  return {
    promote: true,
    reason: champion
      ? `promoted: test MAE ${mae(candidate)} beats champion ${champion.version}'s ${mae(champion)} and the baseline's ${mae(baseline)}`
      : `promoted: no champion yet; test MAE ${mae(candidate)} beats the baseline's ${mae(baseline)}`,
  };
}
