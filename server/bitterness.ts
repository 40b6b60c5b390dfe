// Named bands of predicted IBU, as a drinker reads them. Cut-offs (lower bound inclusive):
//   low < 20 ≤ medium < 40 ≤ high < 60 ≤ very high < 100 ≤ extreme
export const BITTERNESS_BANDS = ['low', 'medium', 'high', 'very high', 'extreme'] as const;
export type Bitterness = (typeof BITTERNESS_BANDS)[number];

const UPPER_BOUNDS: ReadonlyArray<[number, Bitterness]> = [
  [20, 'low'],
  [40, 'medium'],
  [60, 'high'],
  [100, 'very high'],
];

export function bitternessOf(ibu: number): Bitterness {
  for (const [bound, band] of UPPER_BOUNDS) if (ibu < bound) return band;
  return 'extreme';
}
