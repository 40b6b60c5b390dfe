import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CleanedRow } from './beer.js';
import { tableQuality } from './tableQuality.js';

const row = (id: number, fields: Partial<CleanedRow>): CleanedRow => ({
  id,
  name: `beer ${id}`,
  abv: 5,
  ibu: 30,
  target_fg: 1010,
  target_og: 1050,
  ebc: 20,
  srm: 10,
  ph: 4.4,
  ...fields,
});

test('rows, nulls and out-of-range values per column, and the rows training leaves out', () => {
  const now = new Date();
  const quality = tableQuality(
    [
      row(1, {}),
      row(2, { ph: 79, name: null }),
      row(3, { ibu: null, ebc: null }),
      row(4, { ibu: 1085, target_og: 1085 }),
      row(5, { abv: 80 }),
    ],
    now,
  );
  assert.equal(quality.computedAt, now.toISOString());
  assert.equal(quality.rows, 5);
  const byColumn = Object.fromEntries(quality.columns.map((c) => [c.column, [c.nulls, c.outOfRange]]));
  assert.deepEqual(byColumn, {
    id: [0, 0],
    name: [1, 0],
    abv: [0, 1],
    ibu: [1, 1],
    target_fg: [0, 0],
    target_og: [0, 0],
    ebc: [1, 0],
    srm: [0, 0],
    ph: [0, 1],
  });
  assert.deepEqual(quality.excluded, [
    { reason: 'no_ibu', rows: 1 },
    { reason: 'ibu_equals_og', rows: 1 },
  ]);
});
