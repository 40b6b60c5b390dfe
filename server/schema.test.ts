// The helpers keep route schemas as plain JSON Schema: what ajv validates and the OpenAPI
// document shows is what was written by hand before TypeBox typed it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import { errorSchema } from './errors.js';
import { beerFeatures } from './routes/predict.schema.js';
import { nullable, refTo } from './schema.js';

const json = (schema: unknown) => JSON.parse(JSON.stringify(schema));

describe('route schema helpers', () => {
  it('nullable keeps the options and lists null beside the type', () => {
    assert.deepEqual(json(nullable(Type.Number({ minimum: 0, maximum: 14, description: 'pH' }))), {
      type: ['number', 'null'],
      minimum: 0,
      maximum: 14,
      description: 'pH',
    });
  });

  it('refTo points at the registered id, and refuses a schema without one', () => {
    assert.deepEqual(json(refTo(beerFeatures)), { $ref: 'BeerFeatures#' });
    assert.deepEqual(json(refTo(errorSchema)), { $ref: 'Error#' });
    assert.throws(() => refTo(Type.Object({})), /no \$id/);
  });

  it('BeerFeatures requires abv and target_og and refuses unknown fields', () => {
    const schema = json(beerFeatures);
    assert.deepEqual(schema.required, ['abv', 'target_og']);
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.properties.ph.type, ['number', 'null']);
  });
});
