import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CleanedRow } from '../../lib/beer.js';
import type { GroupedCrossValidation } from './crossValidation.js';
import { foldTableCsv } from './foldTable.js';

const row = (id: number, og: number, fg: number, ph: number | null, ibu: number) =>
  ({ id, abv: 6.5, target_og: og, target_fg: fg, ebc: 20, srm: 10, ph, ibu }) as unknown as CleanedRow;

const cv: GroupedCrossValidation = {
  // Beer 2 has its gravities swapped (FG > OG) and no pH.
  rows: [row(1, 1060, 1012, 4.4, 40), row(2, 1010, 1065, null, 250)],
  actual: [40, 250],
  groups: ['[6.5,1060,1012]', '[6.5,1065,1010]'],
  predictions: {
    model: [
      [41, 60],
      [39, 70],
    ],
    median: [[35, 35]],
    physics: [[42, 45]],
    linear: [[38, 50]],
  },
  selection: [],
  excluded: 0,
  folds: 5,
  seeds: [1, 2],
};

describe('the fold table', () => {
  const [header, ...lines] = foldTableCsv(cv, 1).trim().split('\n');
  const cells = (line: string) => line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);

  it('names every column, the seeds and baselines included', () => {
    assert.equal(
      header,
      'id,fold,inner_test,group,abv,target_fg,target_og,ebc,srm,ph,ibu,model_seed_1,model_seed_2,median,physics,linear',
    );
    assert.equal(lines.length, 2);
  });

  it('holds the inputs after the data fixes, a missing one empty, and each prediction', () => {
    const second = cells(lines[1] as string);
    assert.equal(second.length, 16);
    assert.deepEqual(second.slice(3), [
      '"[6.5,1065,1010]"',
      '6.5',
      '1010',
      '1065',
      '20',
      '10',
      '',
      '250',
      '60',
      '70',
      '35',
      '45',
      '50',
    ]);
    assert.match(second[1] as string, /^[0-4]$/);
    assert.match(second[2] as string, /^(true|false)$/);
  });
});
