import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Buffered, cut, dtOf, due } from './batch.js';

const b = (seq: bigint): Buffered<null> => ({
  sequenceNumber: String(seq),
  seq,
  partitionKey: '1',
  arrival: 0,
  bytes: 1,
  item: null,
});
const bounds = { maxRecords: 3, maxBytes: 100, maxAgeMs: 1000 };

describe('batch bookkeeping', () => {
  it('is due at the first bound reached, never when empty', () => {
    assert.equal(due({ count: 0, bytes: 0, openedAt: 0 }, bounds, 5000, true), undefined);
    assert.equal(due({ count: 3, bytes: 3, openedAt: 0 }, bounds, 0), 'records');
    assert.equal(due({ count: 1, bytes: 100, openedAt: 0 }, bounds, 0), 'bytes');
    assert.equal(due({ count: 1, bytes: 1, openedAt: 0 }, bounds, 999), undefined);
    assert.equal(due({ count: 1, bytes: 1, openedAt: 0 }, bounds, 1000), 'age');
    assert.equal(due({ count: 1, bytes: 1, openedAt: 0 }, bounds, 0, true), 'forced');
  });

  it('meets the age bound at the last call before it would pass, expecting the next one interval away', () => {
    const opened = { count: 1, bytes: 1, openedAt: 0 };
    // Calls 200 ms apart: at 799 ms the next call (999) still comes in time; at 800 it would not.
    assert.equal(due({ ...opened, callIntervalMs: 200 }, bounds, 799), undefined);
    assert.equal(due({ ...opened, callIntervalMs: 200 }, bounds, 800), 'age');
    // An interval as long as the bound or longer counts as half of it: no object at every call.
    assert.equal(due({ ...opened, callIntervalMs: 5000 }, bounds, 499), undefined);
    assert.equal(due({ ...opened, callIntervalMs: 5000 }, bounds, 500), 'age');
    // Unknown (the first call): the bound itself.
    assert.equal(due({ ...opened, callIntervalMs: 0 }, bounds, 999), undefined);
  });

  it('takes up to the record bound when no earlier object starts here', () => {
    assert.deepEqual(cut([b(1n), b(2n), b(3n), b(4n)], 3, undefined), { flush: 3 });
  });

  it('ends exactly at an earlier object, or waits until the buffer reaches it', () => {
    assert.deepEqual(cut([b(1n), b(2n)], 3, 5n), { wait: true });
    assert.deepEqual(cut([b(1n), b(2n), b(5n), b(6n)], 3, 5n), { flush: 3 });
  });

  it('compares sequence numbers as numbers, not strings', () => {
    // As strings "9" > "10"; as sequence numbers 9 < 10.
    assert.deepEqual(cut([b(9n), b(10n), b(11n)], 10, 10n), { flush: 2 });
  });

  it('partitions by the UTC date of arrival', () => {
    assert.equal(dtOf(Date.UTC(2026, 0, 31, 23, 59, 59)), '2026-01-31');
  });
});
