import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePredictionLogKey } from '../lib/cleanedKeys.js';
import {
  BoundedBuffer,
  type LogRow,
  loggedLine,
  logObjects,
  parseLogged,
  RecentWindow,
  rowsToWrite,
} from './inferenceBuffer.js';

const row = (seq: number, time: string): LogRow => ({
  seq,
  time,
  requestId: `req-${seq}`,
  version: 'v1',
  inputs: { abv: 5, target_og: 1050 },
  features: null,
  ibu: 30,
  band: 'medium',
  latencyMs: 1,
  keyDigest: null,
});

describe('BoundedBuffer', () => {
  test('keeps at most maxRows, dropping the oldest and counting them', () => {
    const buffer = new BoundedBuffer<number>(3);
    assert.equal(buffer.push(1, 2), 0);
    assert.equal(buffer.push(3, 4, 5), 2);
    assert.deepEqual(buffer.take(10), [3, 4, 5]);
    assert.equal(buffer.dropped, 2);
  });

  test('rows given back go in front, and are the first dropped when it overflows', () => {
    const buffer = new BoundedBuffer<number>(4);
    buffer.push(1, 2, 3);
    const taken = buffer.take(2);
    buffer.push(4, 5, 6);
    assert.equal(buffer.giveBack(taken), 2);
    assert.deepEqual(buffer.take(10), [3, 4, 5, 6]);
    assert.equal(buffer.dropped, 2);
  });
});

describe('rowsToWrite', () => {
  const options = { flushRows: 10, flushMs: 1000 };
  test('whole objects by size, every row by age, none with nothing waiting or before a retry time', () => {
    assert.equal(rowsToWrite({ rows: 0, oldestAtMs: undefined, retryAtMs: 0 }, 5000, options), 0);
    assert.equal(rowsToWrite({ rows: 10, oldestAtMs: 4999, retryAtMs: 0 }, 5000, options), 10);
    assert.equal(rowsToWrite({ rows: 3, oldestAtMs: 4500, retryAtMs: 0 }, 5000, options), 0);
    assert.equal(rowsToWrite({ rows: 3, oldestAtMs: 4000, retryAtMs: 0 }, 5000, options), 3);
    assert.equal(rowsToWrite({ rows: 50, oldestAtMs: 0, retryAtMs: 6000 }, 5000, options), 0);
  });

  test('rows that arrived during a write wait for a whole object or their age, not a write of their own', () => {
    // 10 written; 4 arrived meanwhile, logged 20 ms ago: nothing to write yet.
    assert.equal(rowsToWrite({ rows: 4, oldestAtMs: 4980, retryAtMs: 0 }, 5000, options), 0);
    // 27 waiting, the oldest young: two whole objects, the other 7 wait.
    assert.equal(rowsToWrite({ rows: 27, oldestAtMs: 4900, retryAtMs: 0 }, 5000, options), 20);
    // The same 27 once the oldest is due by age: all of them.
    assert.equal(rowsToWrite({ rows: 27, oldestAtMs: 3900, retryAtMs: 0 }, 5000, options), 27);
  });
});

describe('logObjects', () => {
  test('one JSONL object per UTC date, named by its first and last row numbers', () => {
    const rows = [
      row(7, '2031-03-01T23:59:59.900Z'),
      row(8, '2031-03-01T23:59:59.990Z'),
      row(9, '2031-03-02T00:00:00.010Z'),
    ];
    const objects = logObjects(
      rows.map((r) => loggedLine({ ...r, instance: 'host-a1b2c3' })),
      'host-a1b2c3',
    );
    assert.deepEqual(
      objects.map((o) => o.key),
      [
        'predictions/dt=2031-03-01/host-a1b2c3/000000000007-000000000008.jsonl',
        'predictions/dt=2031-03-02/host-a1b2c3/000000000009-000000000009.jsonl',
      ],
    );
    assert.deepEqual(parsePredictionLogKey(objects[0]?.key ?? ''), {
      dt: '2031-03-01',
      instance: 'host-a1b2c3',
      first: 7,
      last: 8,
    });
    const lines = objects[0]?.body.toString('utf8').split('\n') ?? [];
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.deepEqual(JSON.parse(lines[1] ?? ''), {
      ...row(8, '2031-03-01T23:59:59.990Z'),
      instance: 'host-a1b2c3',
    });
  });

  test('a kept line reads back as the row it was, with its instance', () => {
    const logged = loggedLine({ ...row(3, '2031-03-01T10:00:00.000Z'), instance: 'host-x' });
    assert.equal(logged.seq, 3);
    assert.equal(logged.time, '2031-03-01T10:00:00.000Z');
    assert.deepEqual(parseLogged(logged), { ...row(3, '2031-03-01T10:00:00.000Z'), instance: 'host-x' });
  });
});

describe('RecentWindow', () => {
  test('holds the last capacity items, oldest first in all(), newest first in newest()', () => {
    const window = new RecentWindow<number>(3);
    assert.deepEqual(window.all(), []);
    for (const n of [1, 2, 3, 4, 5]) window.add(n);
    assert.equal(window.size, 3);
    assert.deepEqual(window.all(), [3, 4, 5]);
    assert.deepEqual(window.newest(2), [5, 4]);
    assert.deepEqual(window.newest(10), [5, 4, 3]);
  });
});
