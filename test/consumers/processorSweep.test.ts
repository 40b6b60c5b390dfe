// The cleaned processor under bad input, end to end: a real processor process over the MultiLang
// protocol, the S3 stand-in behind it, and fast-check generating batches of records (good beers,
// random bytes, records over MAX_RECORD_BYTES, deeply nested JSON, wrong types, any Unicode). After
// every batch the processor is alive and has checkpointed it, and each record is in exactly one
// place: a row of the batch's object, or a dead letter with a reason and the record's own bytes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { s3Client } from '../../lib/aws.js';
import { decodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { getObjectText, headMetadata, listObjects } from '../../lib/s3.js';
import { type KclMessage, kclRecord, type ScriptedProcessor, startProcessor } from '../support/multilang.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { sleep } from '../support/wait.js';

const MAX_RECORD_BYTES = 2048;
const SHARD = 'shardId-000000000000';
const DT = 'dt=2026-11-24';

const record = fc.oneof(
  fc
    .record({ id: fc.integer({ min: 1, max: 1e9 }), name: fc.string({ unit: 'grapheme', maxLength: 30 }) })
    .map((b) => JSON.stringify(b)),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc
    .record({ id: fc.anything(), abv: fc.anything(), name: fc.anything() })
    .map((v) => JSON.stringify(v) ?? '{}'),
  fc
    .integer({ min: MAX_RECORD_BYTES - 20, max: MAX_RECORD_BYTES * 4 })
    .map((n) => `{"id":5,"name":"${'x'.repeat(n)}"}`),
  fc.integer({ min: 10, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

describe('cleaned processor sweep over MultiLang', () => {
  let stack: TestStack;
  let processor: ScriptedProcessor;
  before(async () => {
    stack = await startTestStack({ stream: false });
    processor = startProcessor('cleaned', {
      ...stack.env,
      REDIS_URL: 'redis://127.0.0.1:1', // no retrain requests here
      BATCH_MAX_AGE_MS: '1',
      MAX_RECORD_BYTES: String(MAX_RECORD_BYTES),
    });
    await processor.call({ action: 'initialize', shardId: SHARD, sequenceNumber: 'TRIM_HORIZON' });
  });
  after(async () => {
    await processor?.kill();
    await stack?.close();
  });

  it('accounts for every record of every batch, and stays up', { timeout: 240_000 }, async () => {
    const s3 = s3Client(stack.config);
    const bucket = stack.config.buckets.cleaned;
    let seq = 1000n;
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 12 }), async (datas) => {
        const records = datas.map((data) => {
          seq += 1n;
          return kclRecord(data, String(seq), `k${seq}`);
        });
        const first = records[0]?.sequenceNumber as string;
        const last = records[records.length - 1]?.sequenceNumber as string;
        const checkpoints: unknown[] = [];
        const answer = (request: KclMessage) => {
          checkpoints.push(request.sequenceNumber);
          return undefined;
        };
        await processor.call({ action: 'processRecords', records, millisBehindLatest: 0 }, answer);
        await sleep(5);
        // The age bound is due by now: an empty call flushes what the first one did not.
        await processor.call({ action: 'processRecords', records: [], millisBehindLatest: 0 }, answer);
        assert.equal(
          processor.child.exitCode,
          null,
          `the processor is up; stderr:\n${processor.stderr.join('\n')}`,
        );
        assert.deepEqual(checkpoints, [last], 'the batch was checkpointed at its end');

        const key = `rows/${DT}/${SHARD}/${first}.csv`;
        assert.equal((await headMetadata(s3, bucket, key))?.['last-sequence-number'], last);
        const rows = decodeCleanedCsv(await getObjectText(s3, bucket, key));
        const letters = await Promise.all(
          (await listObjects(s3, bucket, `rejected/${DT}/${SHARD}/`))
            .filter((o) => {
              const n = BigInt(o.key.split('/').pop()?.replace('.json', '') ?? '0');
              return n >= BigInt(first) && n <= BigInt(last);
            })
            .map(async (o) => JSON.parse(await getObjectText(s3, bucket, o.key))),
        );
        assert.equal(rows.length + letters.length, records.length, 'every record is a row or a dead letter');
        for (const letter of letters) {
          assert.ok(typeof letter.reason === 'string' && letter.reason.trim().length > 0, 'a reason');
          const sent = records.find((r) => r.sequenceNumber === letter.sequenceNumber);
          assert.equal(letter.data, sent?.data, 'the dead letter keeps the record as sent');
        }
        const sentIds = new Set(
          records.flatMap((r) => {
            try {
              const value = JSON.parse(Buffer.from(r.data, 'base64').toString('utf8'));
              return typeof value?.id === 'number' ? [value.id] : [];
            } catch {
              return [];
            }
          }),
        );
        for (const row of rows)
          assert.ok(sentIds.has(row.id), `row ${row.id} came from a record of the batch`);
      }),
      { numRuns: 25 },
    );
    s3.destroy();
  });
});
