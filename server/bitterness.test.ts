import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitternessOf } from './bitterness.js';

test('bands cut at 20, 40, 60 and 100 IBU, lower bound inclusive', () => {
  const cases: Array<[number, string]> = [
    [0, 'low'],
    [19.99, 'low'],
    [20, 'medium'],
    [39.9, 'medium'],
    [40, 'high'],
    [60, 'very high'],
    [99.9, 'very high'],
    [100, 'extreme'],
    [1157, 'extreme'],
  ];
  for (const [ibu, band] of cases) assert.equal(bitternessOf(ibu), band, `${ibu}`);
});
