import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CleanedRow } from './beer.js';
import { tableQuality, tableQualityFold } from './tableQuality.js';

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

test('a streamed summary adds up chunk by chunk to the counts of the rows it was given', () => {
  const fold = tableQualityFold(new Date());
  const n = 25_001; // over two chunks and a part of a third
  for (let id = 1; id <= n; id += 1)
    fold.add(
      row(id, {
        ph: id % 7 === 0 ? null : 4.4,
        abv: id % 1000 === 0 ? 80 : 5,
        ibu: id % 5000 === 0 ? null : 30,
      }),
    );
  const quality = fold.result();
  assert.equal(quality.rows, n);
  const byColumn = Object.fromEntries(quality.columns.map((c) => [c.column, [c.nulls, c.outOfRange]]));
  assert.deepEqual(byColumn.ph, [Math.floor(n / 7), 0]);
  assert.deepEqual(byColumn.abv, [0, Math.floor(n / 1000)]);
  assert.deepEqual(byColumn.ibu, [Math.floor(n / 5000), 0]);
  assert.deepEqual(quality.excluded, [
    { reason: 'no_ibu', rows: Math.floor(n / 5000) },
    { reason: 'ibu_equals_og', rows: 0 },
  ]);
});

test('a streamed summary of no rows counts nothing', () => {
  const quality = tableQualityFold(new Date()).result();
  assert.equal(quality.rows, 0);
  assert.ok(quality.columns.every((c) => c.nulls === 0 && c.outOfRange === 0));
});
