// The cleaned record processor driven through the real aws-kcl package with scripted MultiLang
// messages in the format of Amazon's daemon, writing to the S3 stand-in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import beers from 'punkapi-db' with { type: 'json' };
import { s3Client } from '../../lib/aws.js';
import { cleanBeer } from '../../lib/beer.js';
import { decodeCleanedCsv, encodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { getObjectText, headMetadata, listObjects, putObject } from '../../lib/s3.js';
import { kclRecord, type ScriptedProcessor, startProcessor } from '../support/multilang.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { sleep } from '../support/wait.js';

// Real Kinesis sequence numbers are 56-digit decimals; compare them as numbers, never as strings.
const BASE = 49590338271490256608559692538361571095921575989136588800n;
const seq = (n: number) => String(BASE + BigInt(n));
const beer = (i: number) => (beers as Array<Record<string, unknown>>)[i] as Record<string, unknown>;
const record = (i: number, n: number) => kclRecord(JSON.stringify(beer(i)), seq(n), String(beer(i).id));
const rowOf = (i: number) => {
  const result = cleanBeer(beer(i));
  assert.ok(result.ok);
  return result.row;
};

describe('cleaned processor over the MultiLang protocol', () => {
  let stack: TestStack;
  const running: ScriptedProcessor[] = [];
  const start = (env: Record<string, string> = {}) => {
    const processor = startProcessor('cleaned', { ...stack.env, REDIS_URL: 'redis://127.0.0.1:1', ...env });
    running.push(processor);
    return processor;
  };
  const s3 = () => s3Client(stack.config);
  const bucket = () => stack.config.buckets.cleaned;

  before(async () => {
    stack = await startTestStack({ stream: false });
  });
  after(async () => {
    await Promise.all(running.map((p) => p.kill()));
    await stack.close();
  });

  it('writes a full batch as one CSV object, then asks to checkpoint its last record', async () => {
    const p = start({ BATCH_MAX_RECORDS: '3' });
    await p.call({
      action: 'initialize',
      shardId: 'shardId-000000000001',
      sequenceNumber: 'TRIM_HORIZON',
      subSequenceNumber: 0,
    });
    const checkpoints: string[] = [];
    const seen = await p.call(
      {
        action: 'processRecords',
        records: [record(0, 1), record(1, 2), record(2, 3)],
        millisBehindLatest: 0,
      },
      (request) => {
        checkpoints.push(String(request.sequenceNumber));
        return undefined;
      },
    );
    assert.deepEqual(checkpoints, [seq(3)]);
    assert.deepEqual(seen.at(-1), { action: 'status', responseFor: 'processRecords' });
    const key = `rows/dt=2026-11-24/shardId-000000000001/${seq(1)}.csv`;
    assert.equal(await getObjectText(s3(), bucket(), key), encodeCleanedCsv([rowOf(0), rowOf(1), rowOf(2)]));
    assert.equal((await headMetadata(s3(), bucket(), key))?.['last-sequence-number'], seq(3));
    await p.call({ action: 'shutdownRequested' });
  });

  it('dead-letters malformed records with their reason and original bytes, and keeps going', async () => {
    const p = start({ BATCH_MAX_RECORDS: '7', MAX_RECORD_BYTES: '4096' });
    await p.call({ action: 'initialize', shardId: 'shardId-000000000002', sequenceNumber: 'TRIM_HORIZON' });
    const bad = [
      ['{"id": 1,', /^not JSON/],
      ['[1,2]', /not an object: got an array/],
      ['{"id": 0, "name": "zero"}', /id: expected a positive integer, got 0/],
      ['{"id": 9, "abv": "strong"}', /abv: expected a finite number or null, got "strong"/],
      [
        JSON.stringify({ id: 10, description: 'x'.repeat(5000) }),
        /oversized: \d+ bytes is over the 4096-byte limit/,
      ],
    ] as const;
    const records = [
      record(3, 10),
      ...bad.map(([data], k) => kclRecord(data, seq(11 + k), `bad-${k}`)),
      record(4, 16),
    ];
    const seen = await p.call({ action: 'processRecords', records });
    assert.deepEqual(
      seen.filter((m) => m.action === 'checkpoint').map((m) => m.sequenceNumber),
      [seq(16)],
    );
    for (const [k, [data, reason]] of bad.entries()) {
      const key = `rejected/dt=2026-11-24/shardId-000000000002/${seq(11 + k)}.json`;
      const letter = JSON.parse(await getObjectText(s3(), bucket(), key));
      assert.match(letter.reason, reason);
      assert.equal(letter.sequenceNumber, seq(11 + k));
      assert.equal(letter.partitionKey, `bad-${k}`);
      assert.equal(Buffer.from(letter.data, 'base64').toString(), data);
    }
    const rows = decodeCleanedCsv(
      await getObjectText(s3(), bucket(), `rows/dt=2026-11-24/shardId-000000000002/${seq(10)}.csv`),
    );
    assert.deepEqual(rows, [rowOf(3), rowOf(4)]);
    assert.ok(p.stderr.some((line) => line.includes('"deadLetter":true')));
    await p.call({ action: 'shutdownRequested' });
  });

  it('retries a checkpoint the daemon answers with an error', async () => {
    const p = start({ BATCH_MAX_RECORDS: '1' });
    await p.call({ action: 'initialize', shardId: 'shardId-000000000003', sequenceNumber: 'TRIM_HORIZON' });
    let answered = 0;
    const seen = await p.call({ action: 'processRecords', records: [record(5, 20)] }, () =>
      answered++ === 0 ? 'ThrottlingException' : undefined,
    );
    const requests = seen.filter((m) => m.action === 'checkpoint').map((m) => m.sequenceNumber);
    assert.deepEqual(requests, [seq(20), seq(20)]);
    assert.equal(seen.at(-1)?.action, 'status');
    await p.call({ action: 'shutdownRequested' });
  });

  it('flushes an aged batch on an empty processRecords call, and holds a young one', async () => {
    const p = start({ BATCH_MAX_AGE_MS: '300' });
    await p.call({ action: 'initialize', shardId: 'shardId-000000000004', sequenceNumber: 'TRIM_HORIZON' });
    const first = await p.call({ action: 'processRecords', records: [record(6, 30), record(7, 31)] });
    assert.deepEqual(
      first.map((m) => m.action),
      ['status'],
      'a young batch is not flushed',
    );
    await sleep(350);
    const second = await p.call({ action: 'processRecords', records: [], millisBehindLatest: 0 });
    assert.deepEqual(
      second.map((m) => [m.action, m.sequenceNumber]),
      [
        ['checkpoint', seq(31)],
        ['status', undefined],
      ],
    );
    await p.call({ action: 'shutdownRequested' });
  });

  it('on shardEnded flushes, checkpoints the batch, then checkpoints the end of the shard', async () => {
    const p = start();
    await p.call({ action: 'initialize', shardId: 'shardId-000000000005', sequenceNumber: 'TRIM_HORIZON' });
    await p.call({ action: 'processRecords', records: [record(8, 40)] });
    const seen = await p.call({ action: 'shardEnded' });
    assert.deepEqual(
      seen.map((m) => [m.action, m.sequenceNumber ?? null]),
      [
        ['checkpoint', seq(40)],
        ['checkpoint', null],
        ['status', null],
      ],
    );
  });

  it('on shutdownRequested flushes and checkpoints; on leaseLost drops the batch unwritten', async () => {
    const p = start();
    await p.call({ action: 'initialize', shardId: 'shardId-000000000006', sequenceNumber: 'TRIM_HORIZON' });
    await p.call({ action: 'processRecords', records: [record(9, 50)] });
    const seen = await p.call({ action: 'shutdownRequested' });
    assert.deepEqual(
      seen.map((m) => m.sequenceNumber ?? m.action),
      [seq(50), 'status'],
    );

    const q = start();
    await q.call({ action: 'initialize', shardId: 'shardId-000000000007', sequenceNumber: 'TRIM_HORIZON' });
    await q.call({ action: 'processRecords', records: [record(10, 60)] });
    assert.deepEqual(
      (await q.call({ action: 'leaseLost' })).map((m) => m.action),
      ['status'],
    );
    assert.deepEqual(await listObjects(s3(), bucket(), 'rows/dt=2026-11-24/shardId-000000000007/'), []);
  });

  it('after a crash between write and checkpoint, a differently split replay aligns to the object written', async () => {
    const shardId = 'shardId-000000000008';
    const prefix = `rows/dt=2026-11-24/${shardId}/`;
    // First owner: one call of ten records; the object is written, then the process dies before
    // the daemon answers its checkpoint request.
    const a = start({ BATCH_MAX_RECORDS: '10' });
    await a.call({ action: 'initialize', shardId, sequenceNumber: 'TRIM_HORIZON' });
    a.send({
      action: 'processRecords',
      records: Array.from({ length: 10 }, (_, k) => record(20 + k, 100 + k)),
    });
    const request = await a.next();
    assert.deepEqual(request, { action: 'checkpoint', sequenceNumber: seq(109) });
    await a.kill('SIGKILL');
    const written = await listObjects(s3(), bucket(), prefix);
    assert.equal(written.length, 1);
    const before = await getObjectText(s3(), bucket(), written[0]?.key as string);

    // Second owner resumes from the old checkpoint (none) and gets the same records one per call,
    // with a smaller batch bound and an age bound that would otherwise split them.
    const b = start({ BATCH_MAX_RECORDS: '3', BATCH_MAX_AGE_MS: '1' });
    await b.call({ action: 'initialize', shardId, sequenceNumber: 'TRIM_HORIZON' });
    const checkpoints: string[] = [];
    for (let k = 0; k < 14; k += 1) {
      await b.call({ action: 'processRecords', records: [record(20 + k, 100 + k)] }, (req) => {
        checkpoints.push(String(req.sequenceNumber));
        return undefined;
      });
    }
    await b.call({ action: 'shutdownRequested' }, (req) => {
      checkpoints.push(String(req.sequenceNumber));
      return undefined;
    });
    assert.equal(checkpoints[0], seq(109), 'the replayed batch ends exactly where the written object ends');

    const objects = (await listObjects(s3(), bucket(), prefix)).map((o) => o.key);
    const ranges = await Promise.all(
      objects.map(async (key) => {
        const [, first] = /\/(\d+)\.csv$/.exec(key) as RegExpExecArray;
        const last = (await headMetadata(s3(), bucket(), key))?.['last-sequence-number'];
        return [BigInt(first as string), BigInt(last as string)] as const;
      }),
    );
    ranges.sort((x, y) => (x[0] < y[0] ? -1 : 1));
    for (let k = 1; k < ranges.length; k += 1) {
      assert.ok(
        (ranges[k] as [bigint, bigint])[0] > (ranges[k - 1] as [bigint, bigint])[1],
        `objects overlap: ${objects.join(', ')}`,
      );
    }
    assert.equal(await getObjectText(s3(), bucket(), `${prefix}${seq(100)}.csv`), before, 'same bytes');
    const ids: number[] = [];
    for (const key of objects)
      ids.push(...decodeCleanedCsv(await getObjectText(s3(), bucket(), key)).map((r) => r.id));
    assert.equal(ids.length, 14);
    assert.equal(new Set(ids).size, 14, 'no row twice');
  });

  it('a replay over an object of the earlier layout (<first>-<last>.csv) aligns to it and writes no copy', async () => {
    const shardId = 'shardId-000000000009';
    const prefix = `rows/dt=2026-11-24/${shardId}/`;
    // As the previous release wrote it, before a crash that lost its checkpoint.
    const legacy = `${prefix}${seq(200)}-${seq(204)}.csv`;
    const legacyCsv = encodeCleanedCsv([0, 1, 2, 3, 4].map((k) => rowOf(40 + k)));
    await putObject(s3(), bucket(), legacy, legacyCsv, 'text/csv');

    const p = start({ BATCH_MAX_RECORDS: '3', BATCH_MAX_AGE_MS: '1' });
    await p.call({ action: 'initialize', shardId, sequenceNumber: 'TRIM_HORIZON' });
    const checkpoints: string[] = [];
    for (let k = 0; k < 8; k += 1) {
      await p.call({ action: 'processRecords', records: [record(40 + k, 200 + k)] }, (req) => {
        checkpoints.push(String(req.sequenceNumber));
        return undefined;
      });
    }
    await p.call({ action: 'shutdownRequested' }, (req) => {
      checkpoints.push(String(req.sequenceNumber));
      return undefined;
    });
    assert.equal(checkpoints[0], seq(204), 'the first batch ends where the old object ends');
    const keys = (await listObjects(s3(), bucket(), prefix)).map((o) => o.key).sort();
    assert.ok(keys.includes(legacy));
    assert.ok(!keys.includes(`${prefix}${seq(200)}.csv`), 'no second object starting at the same record');
    assert.equal(await getObjectText(s3(), bucket(), legacy), legacyCsv, 'the old object untouched');
    const ids: number[] = [];
    for (const key of keys)
      ids.push(...decodeCleanedCsv(await getObjectText(s3(), bucket(), key)).map((r) => r.id));
    assert.deepEqual(
      ids.sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7].map((k) => rowOf(40 + k).id).sort((a, b) => a - b),
    );
  });

  it('a batch of dead letters only still leaves its (header-only) object at its first record', async () => {
    const shardId = 'shardId-000000000010';
    const p = start({ BATCH_MAX_RECORDS: '2' });
    await p.call({ action: 'initialize', shardId, sequenceNumber: 'TRIM_HORIZON' });
    await p.call({
      action: 'processRecords',
      records: [kclRecord('not json', seq(300), 'bad-a'), kclRecord('[]', seq(301), 'bad-b')],
    });
    const key = `rows/dt=2026-11-24/${shardId}/${seq(300)}.csv`;
    assert.equal(await getObjectText(s3(), bucket(), key), encodeCleanedCsv([]));
    assert.equal((await headMetadata(s3(), bucket(), key))?.['last-sequence-number'], seq(301));
    assert.equal((await listObjects(s3(), bucket(), `rejected/dt=2026-11-24/${shardId}/`)).length, 2);
    await p.call({ action: 'shutdownRequested' });
  });
});
