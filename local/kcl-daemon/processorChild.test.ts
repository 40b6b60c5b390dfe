// Lines from a processor are parsed, not trusted: only a JSON object with a string `action` is a
// message; anything else becomes `invalid` (with the line) for the caller to refuse by name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage } from './processorChild.js';

describe('parseMessage', () => {
  it('keeps a message as the processor wrote it', () => {
    const line =
      '{"action":"checkpoint","sequenceNumber":"49590338271490256608559692538361571095921575989136588898"}';
    assert.deepEqual(parseMessage(line), JSON.parse(line));
    assert.deepEqual(parseMessage('{"action":"status","responseFor":"initialize"}'), {
      action: 'status',
      responseFor: 'initialize',
    });
  });

  it('turns anything else into an invalid message carrying the line', () => {
    for (const line of ['not json', '42', 'null', '[]', '{}', '{"action":5}']) {
      assert.deepEqual(parseMessage(line), { action: 'invalid', line });
    }
  });
});
