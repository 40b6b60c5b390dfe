// What an invocation asks for, decided from the event alone (the handler itself runs against the
// Kinesis stand-in in test/producer/lambda.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invocationMode } from './lambda.js';

describe('invocationMode', () => {
  it('is one tick for a scheduled event, or any event without `replay`', () => {
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
    for (const event of [scheduled, {}, undefined, null, 'replay', 42, [true]]) {
      assert.equal(invocationMode(event), 'tick', JSON.stringify(event));
    }
  });

  it('replays for {"replay": true} and ticks for {"replay": false}', () => {
    assert.equal(invocationMode({ replay: true }), 'replay');
    assert.equal(invocationMode({ replay: false }), 'tick');
    assert.equal(invocationMode({ replay: true, source: 'console' }), 'replay');
  });

  it('refuses a `replay` that is not a boolean, naming the field and the value', () => {
    for (const [replay, shown] of [
      ['yes', '"yes"'],
      [1, '1'],
      [null, 'null'],
      [{}, '{}'],
    ] as const) {
      assert.throws(() => invocationMode({ replay }), {
        message: `replay: expected true or false, got ${shown}`,
      });
    }
  });
});
