import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CleanedRow } from './beer.js';
import {
  type ArrivedRow,
  applyObjects,
  arrivalOf,
  decodeSnapshotCsv,
  encodeSnapshotCsv,
  type Manifest,
  nextCovered,
  nextListFrom,
  snapshotsToDelete,
  uncoveredKeys,
} from './tableSnapshot.js';

const row = (id: number, name: string | null, ibu: number | null = 10): CleanedRow => ({
  id,
  name,
  abv: 5,
  ibu,
  target_fg: 1010,
  target_og: 1050,
  ebc: null,
  srm: 8,
  ph: 4.4,
});

const manifest = (over: Partial<Manifest>): Manifest => ({
  snapshot: 1,
  previous: null,
  createdAt: '2026-11-30T00:00:00.000Z',
  table: 'snapshots/0000000001/table-aa.csv',
  tableSha256: '',
  rows: 0,
  contentHash: '',
  listFrom: '2026-11-23',
  covered: [],
  objects: 0,
  lastModified: null,
  ...over,
});

const t = (iso: string) => new Date(iso);

describe('arrivalOf', () => {
  it('orders by date partition, then LastModified, then key', () => {
    const a = arrivalOf('rows/dt=2026-11-23/s-1/9.csv', t('2026-11-29T00:00:00Z'));
    const b = arrivalOf('rows/dt=2026-11-24/s-0/1.csv', t('2026-11-24T00:00:00Z'));
    const c = arrivalOf('rows/dt=2026-11-24/s-0/2.csv', t('2026-11-24T00:00:00Z'));
    const d = arrivalOf('rows/dt=2026-11-24/s-0/0.csv', t('2026-11-24T00:00:01Z'));
    assert.deepEqual([d, c, b, a].sort(), [a, b, c, d]);
  });
});

describe('applyObjects', () => {
  const arrival = (dt: string, key: string) =>
    arrivalOf(`rows/dt=${dt}/s-0/${key}.csv`, t(`${dt}T12:00:00Z`));

  it('lets the latest arrival win per id, later rows of one object over earlier ones', () => {
    const merged = applyObjects(new Map(), [
      { key: 'b', arrival: arrival('2026-11-25', 'b'), rows: [row(1, 'new')] },
      {
        key: 'a',
        arrival: arrival('2026-11-24', 'a'),
        rows: [row(1, 'old'), row(2, 'first'), row(2, 'second')],
      },
    ]);
    assert.equal(merged.get(1)?.row.name, 'new');
    assert.equal(merged.get(2)?.row.name, 'second');
    assert.equal(merged.size, 2);
  });

  it('keeps a snapshot row that arrived after a late object read on top of it', () => {
    const base = new Map<number, ArrivedRow>([
      [1, { row: row(1, 'snapshot, newer'), arrival: arrival('2026-11-26', 'x') }],
      [2, { row: row(2, 'snapshot, older'), arrival: arrival('2026-11-20', 'y') }],
    ]);
    const merged = applyObjects(base, [
      { key: 'late', arrival: arrival('2026-11-24', 'late'), rows: [row(1, 'late'), row(2, 'late')] },
    ]);
    assert.equal(merged.get(1)?.row.name, 'snapshot, newer');
    assert.equal(merged.get(2)?.row.name, 'late');
    assert.equal(base.get(2)?.row.name, 'snapshot, older', 'the base is not changed');
  });
});

describe('uncoveredKeys', () => {
  const keys = [
    'rows/dt=2026-11-20/s-0/1.csv',
    'rows/dt=2026-11-23/s-0/2.csv',
    'rows/dt=2026-11-23/s-0/3.csv',
    'rows/dt=2026-11-24/s-1/4-5.csv',
    'rows/dt=2026-11-24/s-1/notes.txt',
    'rows/stray.csv',
  ];
  it('without a snapshot, is every .csv in a date partition', () => {
    assert.deepEqual(uncoveredKeys(keys, undefined), keys.slice(0, 4));
  });
  it('with one, leaves out partitions before listFrom and the keys it names', () => {
    const m = manifest({ covered: ['rows/dt=2026-11-23/s-0/2.csv'] });
    assert.deepEqual(uncoveredKeys(keys, m), [
      'rows/dt=2026-11-23/s-0/3.csv',
      'rows/dt=2026-11-24/s-1/4-5.csv',
    ]);
  });
});

describe('nextListFrom and nextCovered', () => {
  it('lists LATE_DAYS back from now, never earlier than the previous snapshot did', () => {
    assert.equal(nextListFrom(undefined, t('2026-11-30T10:00:00Z')), '2026-11-23');
    assert.equal(nextListFrom(manifest({ listFrom: '2026-11-25' }), t('2026-11-30T10:00:00Z')), '2026-11-25');
    assert.equal(nextListFrom(manifest({ listFrom: '2026-11-01' }), t('2026-11-30T10:00:00Z')), '2026-11-23');
  });
  it('names the previous and the added keys from listFrom on, once each, sorted', () => {
    const previous = manifest({ covered: ['rows/dt=2026-11-22/s-0/1.csv', 'rows/dt=2026-11-24/s-0/3.csv'] });
    assert.deepEqual(
      nextCovered(
        previous,
        ['rows/dt=2026-11-24/s-0/3.csv', 'rows/dt=2026-11-23/s-1/2.csv', 'rows/dt=2026-11-21/s-1/0.csv'],
        '2026-11-23',
      ),
      ['rows/dt=2026-11-23/s-1/2.csv', 'rows/dt=2026-11-24/s-0/3.csv'],
    );
  });
});

describe('snapshot retention', () => {
  it('deletes all but the last three', () => {
    assert.deepEqual(snapshotsToDelete([1, 2, 2, 3, 4, 5, 6], 6), [1, 2, 3]);
    assert.deepEqual(snapshotsToDelete([1, 2], 2), []);
  });
});

describe('snapshot CSV', () => {
  it('round-trips rows with their arrival, names with commas and quotes included', () => {
    const rows: ArrivedRow[] = [
      {
        row: row(1, 'Punk, "IPA"'),
        arrival: '2026-11-24 2026-11-24T00:00:00.000Z rows/dt=2026-11-24/s/1.csv',
      },
      { row: row(2, null, null), arrival: '2026-11-25 2026-11-25T00:00:00.000Z rows/dt=2026-11-25/s/2.csv' },
    ];
    const decoded = decodeSnapshotCsv(encodeSnapshotCsv(rows));
    assert.deepEqual([...decoded.values()], rows);
  });
  it('refuses a wrong header, a bad field and an id twice, naming the line', () => {
    assert.throws(() => decodeSnapshotCsv('id,name\r\n'), /header: expected/);
    const good = encodeSnapshotCsv([{ row: row(1, 'a'), arrival: 'x' }]);
    assert.throws(
      () => decodeSnapshotCsv(good.replace(',5,', ',five,')),
      /line 2: abv: expected a finite number/,
    );
    assert.throws(() => decodeSnapshotCsv(`${good}${good.split('\r\n')[1]}\r\n`), /line 3: id 1 twice/);
  });
});
