// Order statistics shared by the preprocessing (lib/features.ts), the baselines and the
// evaluation (trainer/). Pure; a loop or a sort, never a spread of the values (a few hundred
// thousand arguments overflow the stack).

/** Linear interpolation between order statistics of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

/** The median (the mean of the middle two for an even count); NaN for no values. */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return quantile(sorted, 0.5);
}
