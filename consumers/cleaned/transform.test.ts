// The cleaned processor's record transform under bad input, property-based (fast-check): random
// bytes, records up to and over the size limit, deeply nested JSON, a wrong type in every field,
// any Unicode, NaN-ish strings. Nothing throws; each record is a row or a dead letter whose reason
// says what is wrong; a row survives the CSV it is written as.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { NUMERIC_COLUMNS } from '../../lib/beer.js';
import { decodeCleanedCsv, encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { cleanRecord } from './transform.js';

const LIMIT = 4096;
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const nanish = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '-0',
  '0x10',
  '',
  ' 4.5',
  '4,5',
  'null',
);
const wrongValue = fc.oneof(
  nanish,
  fc.string(),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
);
const goodBeer = fc.record({
  id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  name: fc.option(fc.string({ unit: 'grapheme', maxLength: 60 }), { nil: null }),
  abv: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
  ibu: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
  ph: fc.option(fc.float({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
});

/** The one property every record must have. */
function accountedFor(data: Uint8Array): void {
  const item = cleanRecord(data, LIMIT);
  if ('row' in item) {
    assert.ok(data.byteLength <= LIMIT);
    const [back] = decodeCleanedCsv(encodeCleanedCsv([item.row]));
    assert.deepEqual(back, item.row, 'a row reads back as written');
  } else {
    assert.equal(typeof item.reason, 'string');
    assert.ok(item.reason.trim().length > 0, 'a dead letter has a reason');
    assert.equal(item.data, data, 'a dead letter keeps the original bytes');
  }
}

describe('cleanRecord under bad input', () => {
  it('random bytes: a row or a dead letter with a reason, never a throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), accountedFor), { numRuns: 500 });
  });

  it('any JSON value, and any Unicode text: the same', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => accountedFor(bytes(JSON.stringify(value) ?? 'null'))),
      {
        numRuns: 500,
      },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => accountedFor(bytes(text))),
      { numRuns: 300 },
    );
  });

  it('a good beer is a row with its fields, and survives CSV whatever its name', () => {
    fc.assert(
      fc.property(goodBeer, (beer) => {
        const item = cleanRecord(bytes(JSON.stringify(beer)), LIMIT);
        assert.ok('row' in item, 'reason' in item ? item.reason : '');
        assert.equal(item.row.id, beer.id);
        assert.equal(item.row.name, beer.name === '' ? null : beer.name, 'an empty name is null');
        assert.equal(item.row.abv, beer.abv === null ? null : beer.abv + 0); // -0 prints as 0
        accountedFor(bytes(JSON.stringify(beer)));
      }),
      { numRuns: 500 },
    );
  });

  it('a wrong type in any numeric field is a dead letter naming that field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMERIC_COLUMNS), wrongValue, (column, value) => {
        const item = cleanRecord(bytes(JSON.stringify({ id: 7, name: 'x', [column]: value })), LIMIT);
        assert.ok('reason' in item, `${column}: ${JSON.stringify(value)} was accepted`);
        assert.match(item.reason, new RegExp(`^${column}: expected a finite number or null, got `));
      }),
      { numRuns: 300 },
    );
  });

  it('a wrong id or name is a dead letter naming it', () => {
    fc.assert(
      fc.property(fc.oneof(wrongValue, fc.constantFrom(0, -1, 1.5, 2 ** 53, null)), (id) => {
        const item = cleanRecord(bytes(JSON.stringify({ id, name: 'x' })), LIMIT);
        assert.ok('reason' in item);
        assert.match(item.reason, /^id: expected a positive integer, got /);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 })), (name) => {
        const item = cleanRecord(bytes(JSON.stringify({ id: 3, name })), LIMIT);
        assert.ok('reason' in item);
        assert.match(item.reason, /^name: expected a string or null, got /);
      }),
      { numRuns: 200 },
    );
  });

  it('records around and far over the size limit: the limit itself is a row, one byte more is a dead letter', () => {
    fc.assert(
      fc.property(fc.integer({ min: -64, max: 64 * LIMIT }), (extra) => {
        const head = '{"id":1,"name":"';
        const pad = Math.max(0, LIMIT + extra - head.length - 2);
        const data = bytes(`${head}${'a'.repeat(pad)}"}`);
        const item = cleanRecord(data, LIMIT);
        if (data.byteLength <= LIMIT) assert.ok('row' in item);
        else {
          assert.ok('reason' in item);
          assert.match(
            item.reason,
            new RegExp(`^oversized: ${data.byteLength} bytes is over the ${LIMIT}-byte limit`),
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it('JSON nested 100,000 deep is a dead letter, not a stack overflow', () => {
    for (const depth of [1000, 100_000]) {
      const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      for (const text of [arrays, objects, `{"id":1,"name":${objects}}`]) accountedFor(bytes(text));
    }
    const item = cleanRecord(bytes(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 1 << 20);
    assert.ok('reason' in item && /^not an object: got an array/.test(item.reason));
  });
});
