import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { linesToBuffer } from './lines.js';

describe('linesToBuffer', () => {
  test('holds each line in UTF-8 and its line end after it, whatever the characters', () => {
    // Sized by string length instead of bytes, a line with a non-ASCII character would be cut.
    const lines = ['{"requestId":"naïve-✓"}', '{"requestId":"😀"}', '{}'];
    const body = linesToBuffer(lines, '\n');
    assert.equal(body.toString('utf8'), '{"requestId":"naïve-✓"}\n{"requestId":"😀"}\n{}\n');
    assert.equal(body.length, Buffer.byteLength(lines.join('\n')) + 1);
    assert.equal(linesToBuffer(['a,b', 'Røde,"x"'], '\r\n').toString('utf8'), 'a,b\r\nRøde,"x"\r\n');
    assert.equal(linesToBuffer([], '\n').length, 0);
  });
});
