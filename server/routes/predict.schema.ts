// Request and response schemas for predictions. Ranges are physical bounds with headroom over
// the Punk API data (abv 0.5-55 %, OG 1007-1157, FG 1000-1125, EBC 2-600, SRM 1-305, pH 3.2-...).
// abv and target_og are required: every recipe states them and the cleaned data always has them
// in practice; the others are often missing in the data and are imputed with the training medians.
import { Type } from 'typebox';
import { BITTERNESS_BANDS } from '../bitterness.js';
import { nullable, refTo } from '../schema.js';

export const beerFeatures = Type.Object(
  {
    abv: Type.Number({ minimum: 0, maximum: 70, description: 'alcohol by volume, %' }),
    target_og: Type.Number({ minimum: 990, maximum: 1200, description: 'original gravity, e.g. 1044' }),
    target_fg: Type.Optional(
      nullable(
        Type.Number({
          minimum: 990,
          maximum: 1200,
          description: 'final gravity, e.g. 1010; imputed when absent',
        }),
      ),
    ),
    ebc: Type.Optional(
      nullable(Type.Number({ minimum: 0, maximum: 1000, description: 'colour, EBC; imputed when absent' })),
    ),
    srm: Type.Optional(
      nullable(Type.Number({ minimum: 0, maximum: 600, description: 'colour, SRM; imputed when absent' })),
    ),
    ph: Type.Optional(
      nullable(Type.Number({ minimum: 0, maximum: 14, description: 'pH; imputed when absent' })),
    ),
  },
  { $id: 'BeerFeatures', additionalProperties: false },
);

export const prediction = Type.Object(
  {
    ibu: Type.Number({ description: 'predicted International Bitterness Units' }),
    bitterness: Type.Enum(BITTERNESS_BANDS, {
      type: 'string',
      description: 'low < 20 ≤ medium < 40 ≤ high < 60 ≤ very high < 100 ≤ extreme',
    }),
    model: Type.String({ description: 'model version that predicted' }),
  },
  { $id: 'Prediction' },
);

export const beerFeaturesRef = refTo(beerFeatures);
export const predictionRef = refTo(prediction);

export function batchRequest(max: number) {
  return Type.Object(
    { instances: Type.Array(beerFeaturesRef, { minItems: 1, maxItems: max }) },
    { additionalProperties: false },
  );
}

export const batchResponse = Type.Object({
  predictions: Type.Array(Type.Object({ ibu: Type.Number(), bitterness: Type.String() })),
  model: Type.String(),
});
