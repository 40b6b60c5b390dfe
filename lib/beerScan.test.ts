// The fast decode must decide every record exactly as JSON.parse + cleanBeer does: the same row,
// or the same rejection. Checked on generated JSON, beer-shaped records and broken bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CLEANED_COLUMNS, type CleanResult, cleanBeer, cleanRecordData } from './beer.js';
import { scanBeer } from './beerScan.js';

/** The exact path, as cleanRecordData was before the scan: the reference. */
function reference(bytes: Uint8Array): CleanResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  return cleanBeer(parsed);
}

const same = (bytes: Uint8Array) => assert.deepStrictEqual(cleanRecordData(bytes), reference(bytes));
const utf8 = (text: string) => Buffer.from(text, 'utf8');

const fieldValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.boolean(),
  fc.jsonValue({ maxDepth: 2 }),
);
const beerLike = fc.record(
  Object.fromEntries([...CLEANED_COLUMNS, 'method', 'ingredients', 'tagline'].map((k) => [k, fieldValue])),
  { requiredKeys: [] },
);

describe('scanBeer', () => {
  test('a typical beer: the nine fields and nothing else', () => {
    const beer = {
      id: 7,
      name: 'Punk IPA 2007 - 2010',
      tagline: 'Post Modern Classic. Spiky. Tropical. Hoppy.',
      abv: 6,
      ibu: 60,
      target_fg: 1010,
      target_og: 1056,
      ebc: 17.5,
      srm: 8.5,
      ph: 4.4,
      method: { mash_temp: [{ temp: { value: 65, unit: 'celsius' }, duration: 75 }] },
      ingredients: { hops: [{ name: 'Ahtanum', amount: { value: 17.5, unit: 'grams' } }] },
    };
    assert.deepStrictEqual(scanBeer(utf8(JSON.stringify(beer, null, 2))), {
      id: 7,
      name: 'Punk IPA 2007 - 2010',
      abv: 6,
      ibu: 60,
      target_fg: 1010,
      target_og: 1056,
      ebc: 17.5,
      srm: 8.5,
      ph: 4.4,
    });
    same(utf8(JSON.stringify(beer)));
  });

  test('what it leaves to JSON.parse: not an object, an escaped key, a nested cleaned field, bad syntax', () => {
    for (const text of [
      '[1,2]',
      '"id"',
      '{"\\u0069d": 5}',
      '{"id": {"a": 1}}',
      '{"id": 1,}',
      '{"id": 01}',
      '{"id": 1} x',
      '{"id": 1, "x": [1, 2,]}',
      '{"id": 1, "x": "tab\there"}',
      '',
    ]) {
      assert.equal(scanBeer(utf8(text)), undefined, text);
      same(utf8(text));
    }
  });

  test('generated JSON values are decided as JSON.parse + cleanBeer decides them', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => same(utf8(JSON.stringify(value)))),
      { numRuns: 500 },
    );
  });

  test('beer-shaped records, pretty or compact, with duplicate keys, are decided the same', () => {
    fc.assert(
      fc.property(
        beerLike,
        fc.boolean(),
        fc.option(fc.constantFrom(...CLEANED_COLUMNS)),
        (beer, pretty, dup) => {
          let text = JSON.stringify(beer, null, pretty ? 2 : undefined);
          // A duplicate key at the end: the last one wins in JSON.parse.
          if (dup !== null && text.length > 2)
            text = `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"${dup}": 3.5}`;
          same(utf8(text));
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('records with bytes changed, cut or inserted are rejected or accepted exactly as before', () => {
    const base = utf8(
      JSON.stringify({
        id: 12,
        name: 'Bière "Ünïcode" \\ test',
        abv: 4.5,
        ibu: null,
        ph: 4.4,
        method: { a: [1, true, null] },
      }),
    );
    fc.assert(
      fc.property(
        fc.nat(base.length - 1),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('set', 'cut', 'insert'),
        (at, byte, how) => {
          const bytes =
            how === 'set'
              ? Buffer.from(base).fill(byte, at, at + 1)
              : how === 'cut'
                ? Buffer.concat([base.subarray(0, at), base.subarray(at + 1)])
                : Buffer.concat([base.subarray(0, at), Buffer.from([byte]), base.subarray(at)]);
          same(bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('numbers read as JSON.parse reads them', () => {
    for (const text of ['-0', '1e400', '1E-5', '0.1', '-12.5e+2', '123456789012345678901234567890'])
      same(utf8(`{"id": 3, "abv": ${text}}`));
  });
});
