// The promotion rule, and the only place it lives (docs/design.md "Promotion"). On the shared test
// split, a candidate is promoted only if
// 1. its MAE is a number (a NaN is never promoted);
// 2. its MAE is below the best simple baseline's (the lowest finite MAE of the baselines fitted on
//    the same training split; a baseline whose MAE is NaN is left out, so it never blocks);
// 3. when there is a champion with a finite MAE, the candidate beats it by the paired-bootstrap
//    margin: the upper end of the 95% interval of (candidate − champion) MAE, resampling the test
//    split's recipe groups, is below zero. A few IBU on about 70 rows is noise; this asks for a
//    difference the data can tell. A champion whose MAE is NaN (it cannot score this split) does
//    not block a valid candidate.
// Every decision returns the numbers it used, for the metadata and the job's result. Pure (the
// bootstrap is seeded), so the rule can change and be tested without S3, Redis or a model.
import { bootstrapMeanInterval, clustersOf } from './bootstrap.js';

export interface PromotionInput {
  /** Absolute errors on the test split, row by row; every array below is aligned with it. */
  candidate: number[];
  baselines: Record<string, number[]>;
  champion?: { version: string; errors: number[] };
  /** Each test row's recipe group (trainer/split.ts recipeGroup); each row its own when absent. */
  groups?: string[];
}

/** JSON has no NaN: a figure that is not a number is recorded as null. */
export interface PromotionNumbers {
  testRows: number;
  candidateMae: number | null;
  bestBaseline: { name: string; mae: number } | null;
  baselineMaes: Record<string, number | null>;
  champion: { version: string; mae: number | null; diffCi95: [number, number] | null } | null;
  resamples: number;
}

export interface PromotionDecision {
  promote: boolean;
  /** One line for the metadata, the logs and `brewstream train`. */
  reason: string;
  numbers: PromotionNumbers;
}

export const PROMOTION_RESAMPLES = 2000;

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const finite = (x: number) => Number.isFinite(x);
const orNull = (x: number) => (finite(x) ? x : null);
const f2 = (x: number) => x.toFixed(2);

export function decidePromotion(
  input: PromotionInput,
  options: { resamples?: number; seed?: number } = {},
): PromotionDecision {
  const resamples = options.resamples ?? PROMOTION_RESAMPLES;
  const candidateMae = mean(input.candidate);
  const baselineMaes = Object.fromEntries(
    Object.entries(input.baselines).map(([name, errors]) => [name, mean(errors)]),
  );
  const best = Object.entries(baselineMaes)
    .filter(([, mae]) => finite(mae))
    .sort((a, b) => a[1] - b[1])[0];
  const numbers: PromotionNumbers = {
    testRows: input.candidate.length,
    candidateMae: orNull(candidateMae),
    bestBaseline: best ? { name: best[0], mae: best[1] } : null,
    baselineMaes: Object.fromEntries(Object.entries(baselineMaes).map(([n, m]) => [n, orNull(m)])),
    champion: null,
    resamples,
  };
  const no = (reason: string): PromotionDecision => ({
    promote: false,
    reason: `not promoted: ${reason}`,
    numbers,
  });

  if (!finite(candidateMae)) return no("the candidate's test MAE is not a number");
  if (best && !(candidateMae < best[1])) {
    return no(`test MAE ${f2(candidateMae)} does not beat the best baseline (${best[0]}) at ${f2(best[1])}`);
  }
  const vsBaseline = best
    ? `beats the best baseline (${best[0]}) at ${f2(best[1])}`
    : 'no baseline could be scored';
  const champion = input.champion;
  if (!champion) {
    return {
      promote: true,
      reason: `promoted: no champion yet; test MAE ${f2(candidateMae)} ${vsBaseline}`,
      numbers,
    };
  }
  const championMae = mean(champion.errors);
  if (!finite(championMae)) {
    numbers.champion = { version: champion.version, mae: null, diffCi95: null };
    return {
      promote: true,
      reason: `promoted: test MAE ${f2(candidateMae)} ${vsBaseline}; champion ${champion.version} cannot be scored on this split (MAE not a number), so it does not block`,
      numbers,
    };
  }
  const diff = input.candidate.map((e, i) => e - (champion.errors[i] as number));
  const clusters = input.groups ? clustersOf(input.groups) : diff.map((_, i) => [i]);
  const ci = bootstrapMeanInterval(diff, clusters, {
    resamples,
    seed: options.seed ?? 1,
  });
  numbers.champion = { version: champion.version, mae: championMae, diffCi95: ci };
  const against = `champion ${champion.version}'s ${f2(championMae)} (difference 95% CI [${f2(ci[0])}, ${f2(ci[1])}])`;
  if (!(ci[1] < 0)) {
    return no(`test MAE ${f2(candidateMae)} does not beat ${against} by the bootstrap margin`);
  }
  return {
    promote: true,
    reason: `promoted: test MAE ${f2(candidateMae)} beats ${against} and ${vsBaseline}`,
    numbers,
  };
}
