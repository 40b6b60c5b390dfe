// The adapter's flush rules against an in-memory store that behaves like S3's conditional write:
// an object is created only if no object starts at the same record. The other holder of the shard
// is played by the test, inserting its objects at chosen moments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Checkpointer, KclRecord } from 'aws-kcl';
import { pino } from 'pino';
import { batchingProcessor, type Sink } from './batchingProcessor.js';

interface Stored {
  end: bigint;
  by: string;
}

function store() {
  const objects = new Map<bigint, Stored>();
  const writes: Array<[bigint, bigint]> = [];
  let beforeNextWrite: (() => void) | undefined;
  const sink: Sink<null> = {
    decode: () => null,
    existingEnd: async (_shardId, first) => objects.get(first.seq)?.end,
    write: async (_shardId, batch) => {
      beforeNextWrite?.();
      beforeNextWrite = undefined;
      const first = (batch[0] as { seq: bigint }).seq;
      const last = (batch[batch.length - 1] as { seq: bigint }).seq;
      writes.push([first, last]);
      if (objects.has(first)) return 'exists';
      objects.set(first, { end: last, by: 'processor' });
      return 'written';
    },
  };
  return {
    sink,
    objects,
    writes,
    /** The other holder creates [first, end] just after this processor's look-up, before its write. */
    raceNextWrite(first: bigint, end: bigint) {
      beforeNextWrite = () => objects.set(first, { end, by: 'other' });
    },
  };
}

const record = (n: number): KclRecord => ({
  data: Buffer.from(String(n)).toString('base64'),
  partitionKey: 'k',
  sequenceNumber: String(n),
  approximateArrivalTimestamp: 0,
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => record(from + k));

function start(sink: Sink<null>) {
  const checkpoints: string[] = [];
  const checkpointer: Checkpointer = {
    checkpoint(...args: unknown[]) {
      const callback = args.at(-1) as (error: unknown) => void;
      checkpoints.push(String(args.length === 2 ? args[0] : null));
      callback(null);
    },
  };
  // Age bound 0: every call with records buffered is a flush, as at the age bound.
  const processor = batchingProcessor(sink, {
    bounds: { maxRecords: 1000, maxBytes: 1 << 30, maxAgeMs: 0 },
    logger: pino({ level: 'silent' }),
  });
  processor.initialize({ shardId: 'shardId-1' }, () => {});
  const deliver = (records: KclRecord[]) =>
    new Promise<void>((resolve) => processor.processRecords({ records, checkpointer }, resolve));
  return { deliver, checkpoints };
}

describe('batching processor with a concurrent holder of the shard', () => {
  it('writes a batch whose start is free, then checkpoints its end', async () => {
    const s = store();
    const p = start(s.sink);
    await p.deliver(range(1, 100));
    assert.deepEqual([...s.objects], [[1n, { end: 100n, by: 'processor' }]]);
    assert.deepEqual(p.checkpoints, ['100']);
  });

  it('takes an object found at its start as the write: no write, checkpoint at its end, go on after it', async () => {
    const s = store();
    s.objects.set(1n, { end: 60n, by: 'other' });
    const p = start(s.sink);
    await p.deliver(range(1, 100));
    assert.deepEqual(s.writes, [[61n, 100n]]);
    assert.deepEqual(p.checkpoints, ['60', '100']);
  });

  it('refused write, existing object shorter than its batch: cuts there, then writes the rest', async () => {
    const s = store();
    const p = start(s.sink);
    s.raceNextWrite(1n, 60n);
    await p.deliver(range(1, 100));
    assert.deepEqual(s.writes, [
      [1n, 100n],
      [61n, 100n],
    ]);
    assert.deepEqual(
      [...s.objects],
      [
        [1n, { end: 60n, by: 'other' }],
        [61n, { end: 100n, by: 'processor' }],
      ],
    );
    assert.deepEqual(p.checkpoints, ['60', '100']);
  });

  it('refused write, existing object longer than its buffer: writes nothing and waits until it reaches that end', async () => {
    const s = store();
    const p = start(s.sink);
    s.raceNextWrite(1n, 150n);
    await p.deliver(range(1, 100));
    assert.deepEqual(s.writes, [[1n, 100n]], 'one refused attempt, nothing more');
    assert.deepEqual(p.checkpoints, [], 'no checkpoint inside the other object');
    await p.deliver(range(101, 120));
    assert.deepEqual(p.checkpoints, [], 'still short of its end');
    await p.deliver(range(121, 170));
    assert.deepEqual(p.checkpoints, ['150', '170']);
    assert.deepEqual(
      [...s.objects],
      [
        [1n, { end: 150n, by: 'other' }],
        [151n, { end: 170n, by: 'processor' }],
      ],
    );
  });

  it('the same batch bounds against an equal object: no write, one checkpoint', async () => {
    const s = store();
    const p = start(s.sink);
    s.raceNextWrite(1n, 100n);
    await p.deliver(range(1, 100));
    assert.deepEqual(p.checkpoints, ['100']);
    assert.equal(s.objects.get(1n)?.by, 'other');
  });
});
