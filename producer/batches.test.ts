import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Entry, failedEntries, MAX_BYTES_PER_CALL, planCalls, toEntry } from './batches.js';

const entry = (id: number, bytes = 10): Entry => ({ Data: new Uint8Array(bytes), PartitionKey: String(id) });

describe('producer batches', () => {
  it('puts the beer JSON unchanged, partitioned by its id', () => {
    const beer = { id: 42, name: 'Punk IPA', abv: 5.6 };
    const e = toEntry(beer);
    assert.equal(e.PartitionKey, '42');
    assert.deepEqual(JSON.parse(Buffer.from(e.Data).toString('utf8')), beer);
  });

  it('splits at 500 records per call', () => {
    const calls = planCalls(Array.from({ length: 1201 }, (_, i) => entry(i + 1)));
    assert.deepEqual(
      calls.map((call) => call.length),
      [500, 500, 201],
    );
  });

  it('splits before a call would pass 5 MiB, counting partition keys', () => {
    const big = 1024 * 1024 - 1; // plus a one-digit key: exactly 1 MiB
    const calls = planCalls(Array.from({ length: 11 }, (_, i) => entry(i % 9, big)));
    assert.deepEqual(
      calls.map((call) => call.length),
      [5, 5, 1],
    );
    for (const call of calls) {
      assert.ok(
        call.reduce((n, e) => n + e.Data.byteLength + e.PartitionKey.length, 0) <= MAX_BYTES_PER_CALL,
      );
    }
  });

  it('finds the failed entries of a response by position', () => {
    const sent = [entry(1), entry(2), entry(3)];
    const failed = failedEntries(sent, [
      { ErrorCode: undefined },
      { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' },
      {},
    ]);
    assert.deepEqual(
      failed.map((f) => [f.entry.PartitionKey, f.code, f.error]),
      [
        [
          '2',
          'ProvisionedThroughputExceededException',
          'ProvisionedThroughputExceededException: Rate exceeded',
        ],
      ],
    );
    assert.equal(failedEntries(sent, []).length, 3, 'a missing result counts as a failure');
  });
});
