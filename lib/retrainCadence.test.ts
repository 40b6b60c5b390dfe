import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deferralNote, newDataDelay } from './retrainCadence.js';

describe('newDataDelay', () => {
  const now = Date.now();
  it('starts at once when no retrain started yet, or without a minimum interval', () => {
    assert.equal(newDataDelay(now, undefined, 300_000), 0);
    assert.equal(newDataDelay(now, now - 1000, 0), 0);
  });
  it('waits out the rest of the interval after the last start', () => {
    assert.equal(newDataDelay(now, now - 60_000, 300_000), 240_000);
    assert.equal(newDataDelay(now, now, 300_000), 300_000);
  });
  it('does not wait once the interval has passed', () => {
    assert.equal(newDataDelay(now, now - 300_000, 300_000), 0);
    assert.equal(newDataDelay(now, now - 900_000, 300_000), 0);
  });
});

describe('deferralNote', () => {
  it('says why and until when, in the times given', () => {
    const started = Date.now();
    const note = deferralNote(started, 300_000);
    assert.match(note, /^deferred: /);
    assert.match(note, /once every 300 s \(RETRAIN_MIN_INTERVAL_S\)/);
    assert.ok(note.includes(new Date(started).toISOString()));
    assert.ok(note.includes(`runs at ${new Date(started + 300_000).toISOString()}`));
  });
});
