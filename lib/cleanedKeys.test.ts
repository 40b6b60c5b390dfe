import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deadLetterKey,
  dtOfRowsKey,
  legacyRowsKey,
  manifestKey,
  manifestNumber,
  rowsFolder,
  rowsKey,
  rowsObjectAt,
  rowsObjectRange,
  snapshotNumber,
  tableKey,
} from './cleanedKeys.js';

const folder = rowsFolder('2026-11-24', 'shardId-000000000001');
const first = '49590338271490256608559692538361571095921575989136588801';

describe('cleaned keys', () => {
  it('names a rows object by its first record, the earlier layout by both ends', () => {
    assert.equal(
      rowsKey('2026-11-24', 'shardId-000000000001', '17'),
      'rows/dt=2026-11-24/shardId-000000000001/17.csv',
    );
    assert.equal(
      legacyRowsKey('2026-11-24', 'shardId-000000000001', '17', '23'),
      'rows/dt=2026-11-24/shardId-000000000001/17-23.csv',
    );
    assert.equal(deadLetterKey('2026-11-24', 'shardId-1', '5'), 'rejected/dt=2026-11-24/shardId-1/5.json');
  });

  it('recognises an object starting at a record in either layout', () => {
    assert.equal(rowsObjectAt(folder, first, `${folder}${first}.csv`), 'current');
    assert.deepEqual(rowsObjectAt(folder, first, `${folder}${first}-${first.slice(0, -1)}9.csv`), {
      legacyEnd: BigInt(`${first.slice(0, -1)}9`),
    });
  });

  it('ignores keys that only share the digits, other files and other folders', () => {
    // A listing by the prefix "<first>" also returns longer sequence numbers that begin with it.
    assert.equal(rowsObjectAt(folder, first, `${folder}${first}0.csv`), undefined);
    assert.equal(rowsObjectAt(folder, first, `${folder}${first}0-${first}9.csv`), undefined);
    assert.equal(rowsObjectAt(folder, first, `${folder}${first}.csv.tmp`), undefined);
    assert.equal(rowsObjectAt(folder, first, `${folder}${first}-x.csv`), undefined);
    assert.equal(
      rowsObjectAt(folder, first, `rows/dt=2026-11-25/shardId-000000000001/${first}.csv`),
      undefined,
    );
  });
});

describe('rows/ keys read back', () => {
  it('gives the date partition of every .csv of either layout, and nothing for other keys', () => {
    assert.equal(dtOfRowsKey(rowsKey('2026-11-24', 'shardId-1', '17')), '2026-11-24');
    assert.equal(dtOfRowsKey(legacyRowsKey('2026-11-25', 'shardId-1', '17', '23')), '2026-11-25');
    assert.equal(dtOfRowsKey('rows/dt=2026-11-24/shardId-1/notes.txt'), undefined);
    assert.equal(dtOfRowsKey(deadLetterKey('2026-11-24', 'shardId-1', '5')), undefined);
  });
});

describe('rows/ object ranges', () => {
  it('reads where an object of either layout starts, and its end when the name holds it', () => {
    assert.deepEqual(rowsObjectRange(folder, `${folder}${first}.csv`), { first: BigInt(first) });
    assert.deepEqual(
      rowsObjectRange(folder, legacyRowsKey('2026-11-24', 'shardId-000000000001', '17', '23')),
      {
        first: 17n,
        last: 23n,
      },
    );
    assert.equal(rowsObjectRange(folder, `${folder}notes.txt`), undefined);
    assert.equal(rowsObjectRange(folder, `${folder}17.csv.tmp`), undefined);
    assert.equal(rowsObjectRange(folder, rowsKey('2026-11-24', 'shardId-000000000002', '17')), undefined);
  });
});

describe('snapshot keys', () => {
  it('zero-pads the number so keys sort numerically, and reads it back', () => {
    assert.equal(manifestKey(12), 'snapshots/0000000012/manifest.json');
    assert.equal(manifestNumber('snapshots/0000000012/manifest.json'), 12);
    assert.equal(manifestNumber('snapshots/0000000012/table-ab.csv'), undefined);
    assert.equal(snapshotNumber(tableKey(7, 'ab')), 7);
  });
});
