import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lineFramer, MAX_HELD_BYTES } from './lineFramer.js';

const text = (b: Buffer | undefined) => b?.toString('utf8');

describe('lineFramer', () => {
  test('prefixes every whole line of a chunk, in one buffer', () => {
    const framer = lineFramer('server | ');
    assert.equal(
      text(framer.push(Buffer.from('{"a":1}\n{"b":2}\n'))),
      'server | {"a":1}\nserver | {"b":2}\n',
    );
  });

  test('holds a partial line until its newline arrives, then sends it whole', () => {
    const framer = lineFramer('raw | ');
    assert.equal(framer.push(Buffer.from('{"msg":"hal')), undefined);
    assert.equal(text(framer.push(Buffer.from('f"}\n{"next'))), 'raw | {"msg":"half"}\n');
    assert.equal(text(framer.push(Buffer.from('":1}\n'))), 'raw | {"next":1}\n');
    assert.equal(framer.end(), undefined);
  });

  test('a multi-byte character split between chunks arrives intact', () => {
    const framer = lineFramer('x | ');
    const bytes = Buffer.from('bière\n');
    const cut = bytes.indexOf(0xa8); // the second byte of "è"
    assert.equal(framer.push(bytes.subarray(0, cut)), undefined);
    assert.equal(text(framer.push(bytes.subarray(cut))), 'x | bière\n');
  });

  test('empty lines keep their prefix', () => {
    assert.equal(text(lineFramer('p | ').push(Buffer.from('\n\n'))), 'p | \np | \n');
  });

  test('what is left at the end goes out with a newline', () => {
    const framer = lineFramer('t | ');
    assert.equal(text(framer.push(Buffer.from('a\nunterminated'))), 't | a\n');
    assert.equal(text(framer.end()), 't | unterminated\n');
    assert.equal(framer.end(), undefined);
  });

  test('a line longer than the bound without a newline is let out rather than held', () => {
    const framer = lineFramer('l | ');
    const long = Buffer.alloc(MAX_HELD_BYTES, 0x61);
    const out = framer.push(long);
    assert.equal(out?.byteLength, MAX_HELD_BYTES + 'l | '.length + 1);
    assert.equal(framer.end(), undefined);
  });
});
