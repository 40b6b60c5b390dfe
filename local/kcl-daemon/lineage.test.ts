import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readyShards } from './lineage.js';

describe('readyShards', () => {
  const shards = [
    { shardId: 'a', parents: [] },
    { shardId: 'b', parents: ['a'] },
    { shardId: 'c', parents: ['a'] },
    { shardId: 'd', parents: ['b', 'c'] }, // a merge of b and c
    { shardId: 'e', parents: ['gone'] }, // parent trimmed from the stream
  ];

  it('starts shards without parents in the stream first', () => {
    assert.deepEqual(readyShards(shards, new Set(), new Set()), ['a', 'e']);
  });

  it('starts children once their parent is finished', () => {
    assert.deepEqual(readyShards(shards, new Set(['a']), new Set(['e'])), ['b', 'c']);
  });

  it('starts a merged shard only when both parents are finished', () => {
    assert.deepEqual(readyShards(shards, new Set(['a', 'b']), new Set(['c', 'e'])), []);
    assert.deepEqual(readyShards(shards, new Set(['a', 'b', 'c', 'e']), new Set()), ['d']);
  });

  it('never starts a running or finished shard again', () => {
    assert.deepEqual(readyShards(shards, new Set(['a', 'e']), new Set(['b', 'c'])), []);
  });
});
