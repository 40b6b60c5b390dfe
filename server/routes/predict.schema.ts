// Request and response schemas for predictions. Ranges are physical bounds with headroom over
// the Punk API data (abv 0.5-55 %, OG 1007-1157, FG 1000-1125, EBC 2-600, SRM 1-305, pH 3.2-...).
// abv and target_og are required: every recipe states them and the cleaned data always has them
// in practice; the others are often missing in the data and are imputed with the training medians.
import { BITTERNESS_BANDS } from '../bitterness.js';

export const REQUIRED_FEATURES = ['abv', 'target_og'] as const;

export const beerFeatures = {
  $id: 'BeerFeatures',
  type: 'object',
  additionalProperties: false,
  required: [...REQUIRED_FEATURES],
  properties: {
    abv: { type: 'number', minimum: 0, maximum: 70, description: 'alcohol by volume, %' },
    target_og: { type: 'number', minimum: 990, maximum: 1200, description: 'original gravity, e.g. 1044' },
    target_fg: {
      type: ['number', 'null'],
      minimum: 990,
      maximum: 1200,
      description: 'final gravity, e.g. 1010; imputed when absent',
    },
    ebc: {
      type: ['number', 'null'],
      minimum: 0,
      maximum: 1000,
      description: 'colour, EBC; imputed when absent',
    },
    srm: {
      type: ['number', 'null'],
      minimum: 0,
      maximum: 600,
      description: 'colour, SRM; imputed when absent',
    },
    ph: { type: ['number', 'null'], minimum: 0, maximum: 14, description: 'pH; imputed when absent' },
  },
} as const;

export const prediction = {
  $id: 'Prediction',
  type: 'object',
  required: ['ibu', 'bitterness', 'model'],
  properties: {
    ibu: { type: 'number', description: 'predicted International Bitterness Units' },
    bitterness: {
      type: 'string',
      enum: [...BITTERNESS_BANDS],
      description: 'low < 20 ≤ medium < 40 ≤ high < 60 ≤ very high < 100 ≤ extreme',
    },
    model: { type: 'string', description: 'model version that predicted' },
  },
} as const;

export function batchRequest(max: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['instances'],
    properties: {
      instances: { type: 'array', minItems: 1, maxItems: max, items: { $ref: 'BeerFeatures#' } },
    },
  } as const;
}

export const batchResponse = {
  type: 'object',
  required: ['predictions', 'model'],
  properties: {
    predictions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['ibu', 'bitterness'],
        properties: { ibu: { type: 'number' }, bitterness: { type: 'string' } },
      },
    },
    model: { type: 'string' },
  },
} as const;
