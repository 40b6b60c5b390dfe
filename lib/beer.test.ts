import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import beers from 'punkapi-db' with { type: 'json' };
import { type CleanedRow, cleanBeer, cleanRecordData } from './beer.js';
import { decodeCleanedCsv, encodeCleanedCsv, encodeCleanedCsvBytes, parseCsv } from './cleanedCsv.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('cleanBeer', () => {
  it('keeps exactly the nine cleaned fields of every bundled beer', () => {
    for (const beer of beers as Array<Record<string, unknown>>) {
      const result = cleanBeer(beer);
      assert.ok(result.ok, `beer ${beer.id}: ${!result.ok && result.reason}`);
      assert.deepEqual(Object.keys(result.row).sort(), [
        'abv',
        'ebc',
        'ibu',
        'id',
        'name',
        'ph',
        'srm',
        'target_fg',
        'target_og',
      ]);
      assert.equal(result.row.id, beer.id);
      assert.equal(result.row.ibu, beer.ibu ?? null);
    }
  });

  it('turns missing and null numeric fields into null', () => {
    const result = cleanBeer({ id: 7, name: 'X', abv: 5 });
    assert.deepEqual(result, {
      ok: true,
      row: {
        id: 7,
        name: 'X',
        abv: 5,
        ibu: null,
        target_fg: null,
        target_og: null,
        ebc: null,
        srm: null,
        ph: null,
      },
    });
  });

  const rejected: Array<[string, unknown, RegExp]> = [
    ['null', null, /not an object: got null/],
    ['an array', [1, 2], /not an object: got an array/],
    ['a string', 'beer', /not an object: got string/],
    ['no id', { name: 'x' }, /id: expected a positive integer, got nothing/],
    ['a zero id', { id: 0 }, /id: expected a positive integer, got 0/],
    ['a fractional id', { id: 1.5 }, /id: expected a positive integer, got 1.5/],
    ['a string id', { id: '12' }, /id: expected a positive integer, got "12"/],
    ['a string abv', { id: 1, abv: '4.5' }, /abv: expected a finite number or null, got "4.5"/],
    ['an object ph', { id: 1, ph: { value: 4 } }, /ph: expected a finite number or null, got object/],
    ['a numeric name', { id: 1, name: 42 }, /name: expected a string or null, got 42/],
  ];
  for (const [label, value, reason] of rejected) {
    it(`rejects ${label} with a reason naming the field`, () => {
      const result = cleanBeer(value);
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, reason);
    });
  }

  it('rejects record data that is not JSON, and non-finite numbers JSON cannot carry', () => {
    const notJson = cleanRecordData(bytes('{"id": 1,'));
    assert.equal(notJson.ok, false);
    assert.match((notJson as { reason: string }).reason, /^not JSON: /);
    const huge = cleanRecordData(bytes('{"id": 1, "ibu": 1e999}'));
    assert.match((huge as { reason: string }).reason, /ibu: expected a finite number or null, got Infinity/);
  });
});

describe('cleaned CSV', () => {
  it('writes the header, CRLF lines, empty nulls and quoted names', () => {
    const text = encodeCleanedCsv([
      { id: 1, name: 'Buzz', abv: 4.5, ibu: 60, target_fg: 1010, target_og: 1044, ebc: 20, srm: 10, ph: 4.4 },
      {
        id: 2,
        name: 'Say "Hi", Bob\nNow',
        abv: null,
        ibu: null,
        target_fg: null,
        target_og: null,
        ebc: null,
        srm: null,
        ph: null,
      },
    ]);
    assert.equal(
      text,
      'id,name,abv,ibu,target_fg,target_og,ebc,srm,ph\r\n1,Buzz,4.5,60,1010,1044,20,10,4.4\r\n2,"Say ""Hi"", Bob\nNow",,,,,,,\r\n',
    );
  });

  it('round-trips every bundled beer', () => {
    const rows = (beers as unknown[]).map((beer) => {
      const result = cleanBeer(beer);
      assert.ok(result.ok);
      return result.row;
    });
    assert.deepEqual(decodeCleanedCsv(encodeCleanedCsv(rows)), rows);
  });

  it('gives the same CSV as bytes for an S3 body, non-ASCII names included', () => {
    const rows = (beers as unknown[]).flatMap((beer) => {
      const result = cleanBeer(beer);
      return result.ok ? [result.row] : [];
    });
    rows.push({ ...(rows[0] as CleanedRow), id: 99_999, name: 'Røde Ærø "Øl", 10°' });
    const bytes = encodeCleanedCsvBytes(rows);
    assert.equal(bytes.toString('utf8'), encodeCleanedCsv(rows));
    assert.deepEqual(decodeCleanedCsv(bytes.toString('utf8')).at(-1), rows.at(-1));
  });

  it('rejects a corrupt object with the line and the problem', () => {
    assert.throws(() => decodeCleanedCsv('id,name\r\n1,x\r\n'), /header: expected "id,name,abv/);
    assert.throws(
      () => decodeCleanedCsv('id,name,abv,ibu,target_fg,target_og,ebc,srm,ph\r\n1,x,4\r\n'),
      /line 2: expected 9 fields, got 3/,
    );
    assert.throws(
      () => decodeCleanedCsv('id,name,abv,ibu,target_fg,target_og,ebc,srm,ph\r\n1,x,strong,,,,,,\r\n'),
      /line 2: abv: expected a finite number or null, got "strong"/,
    );
    assert.throws(() => parseCsv('a,"b\r\n'), /unterminated quoted field/);
  });
});
