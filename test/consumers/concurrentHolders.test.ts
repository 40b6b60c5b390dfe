// Two holders of one shard at once, as during a KCL lease transfer: two real processor processes,
// driven over the MultiLang protocol against the S3 stand-in, hold overlapping ranges of different
// lengths from the same checkpoint and flush them in either order or at the same moment. Whatever
// the interleaving, the shard's objects must form one chain (each starting right after the one
// before it ends) and hold every record put exactly once (docs/design.md "Cleaned objects").
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../lib/aws.js';
import { decodeCleanedCsv } from '../../lib/cleanedCsv.js';
import { getObjectText, headMetadata, listObjects } from '../../lib/s3.js';
import { type KclMessage, kclRecord, type ScriptedProcessor, startProcessor } from '../support/multilang.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { sleep } from '../support/wait.js';

const BASE = 49590338271490256608559692538361571095921575989136588800n;
const seq = (n: number) => String(BASE + BigInt(n));
const numberOf = (sequenceNumber: string | bigint) => Number(BigInt(sequenceNumber) - BASE);
// Record n carries beer n, so the census of rows is a census of records.
const beerRecord = (n: number) =>
  kclRecord(JSON.stringify({ id: n, name: `beer ${n}`, abv: 5, ibu: n % 90 }), seq(n), String(n));

const AGE_MS = 150;

type Mode = 'at once' | 'A first' | 'B first';
const MODES: Mode[] = ['at once', 'A first', 'B first'];
const LENGTHS: Array<[number, number]> = [
  [100, 150],
  [150, 100],
  [120, 120],
];

interface Holder {
  name: string;
  p: ScriptedProcessor;
  /** Every checkpoint this holder asked for, as record numbers. */
  checkpoints: number[];
}

/** What a sink's objects look like to the checks: where each starts and ends, and its records. */
interface Layout {
  processor: 'cleaned' | 'raw';
  bucket(stack: TestStack): string;
  /** One shard's objects: the first record of each from its key, the last where the key says it. */
  objects(
    s3: S3Client,
    bucket: string,
    shardId: string,
  ): Promise<Array<{ key: string; first: number; last?: number }>>;
  /** The record numbers an object holds. */
  records(text: string): number[];
}

const cleaned: Layout = {
  processor: 'cleaned',
  bucket: (stack) => stack.config.buckets.cleaned,
  // <first>.csv, or <first>-<last>.csv of the earlier layout (which this check reads too).
  objects: async (s3, bucket, shardId) =>
    (await listObjects(s3, bucket, `rows/dt=2026-11-24/${shardId}/`)).map((o) => {
      const [, first, last] = /\/(\d+)(?:-(\d+))?\.csv$/.exec(o.key) as RegExpExecArray;
      return {
        key: o.key,
        first: numberOf(first as string),
        ...(last ? { last: numberOf(last) } : {}),
      };
    }),
  records: (text) => decodeCleanedCsv(text).map((row) => row.id),
};

const raw: Layout = {
  processor: 'raw',
  bucket: (stack) => stack.config.buckets.raw,
  objects: async (s3, bucket, shardId) =>
    (await listObjects(s3, bucket, '2026/11/24/12/'))
      .filter((o) => o.key.includes(`-${shardId}-`))
      .map((o) => ({
        key: o.key,
        first: numberOf((/-(\d+)\.jsonl$/.exec(o.key) as RegExpExecArray)[1] as string),
      })),
  records: (text) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).id as number),
};

for (const layout of [cleaned, raw]) {
  describe(`two ${layout.processor} processors holding one shard at once`, () => {
    let stack: TestStack;
    let s3: S3Client;
    const running: ScriptedProcessor[] = [];

    const holder = async (name: string, shardId: string, maxRecords: number): Promise<Holder> => {
      const p = startProcessor(layout.processor, {
        ...stack.env,
        REDIS_URL: 'redis://127.0.0.1:1',
        BATCH_MAX_RECORDS: String(maxRecords),
        BATCH_MAX_AGE_MS: String(AGE_MS),
        LOG_LEVEL: 'info',
      });
      running.push(p);
      // Both start from the same checkpoint, as the old and the new holder do.
      await p.call({ action: 'initialize', shardId, sequenceNumber: 'TRIM_HORIZON' });
      return { name, p, checkpoints: [] };
    };
    const answer = (h: Holder, error?: string) => (request: KclMessage) => {
      h.checkpoints.push(numberOf(String(request.sequenceNumber)));
      return error;
    };
    const deliver = async (h: Holder, from: number, to: number) => {
      const records = Array.from({ length: to - from + 1 }, (_, k) => beerRecord(from + k));
      await h.p.call({ action: 'processRecords', records, millisBehindLatest: 0 }, answer(h));
    };
    /** An empty processRecords: what the daemon sends on a quiet poll, and when an aged batch goes. */
    const poll = (h: Holder) =>
      h.p.call({ action: 'processRecords', records: [], millisBehindLatest: 0 }, answer(h));

    /** Every object of the shard with its first and last record (last from the object metadata). */
    const chain = async (shardId: string) => {
      const bucket = layout.bucket(stack);
      const objects = await layout.objects(s3, bucket, shardId);
      const withEnds = await Promise.all(
        objects.map(async (o) => {
          if (o.last !== undefined) return { ...o, last: o.last };
          const last = (await headMetadata(s3, bucket, o.key))?.['last-sequence-number'];
          assert.match(last ?? '', /^\d+$/, `${o.key}: last-sequence-number metadata`);
          return { ...o, last: numberOf(last as string) };
        }),
      );
      return withEnds.sort((x, y) => x.first - y.first);
    };

    before(async () => {
      stack = await startTestStack({ stream: false });
      s3 = s3Client(stack.config);
    });
    after(async () => {
      await Promise.all(running.map((p) => p.kill()));
      s3.destroy();
      await stack.close();
    });

    // One batch per range, flushed at the age bound (the issue's case: both holders' whole ranges
    // at the same moment); and batches of 40 records, so each range is a chain of its own.
    const cases =
      layout.processor === 'cleaned'
        ? [
            { shardId: 'shardId-000000000001', maxRecords: 1000, rounds: 21 },
            { shardId: 'shardId-000000000003', maxRecords: 40, rounds: 9 },
          ]
        : [{ shardId: 'shardId-000000000001', maxRecords: 1000, rounds: 9 }];
    for (const { shardId, maxRecords, rounds } of cases)
      it(`batches of up to ${maxRecords} records, ${rounds} rounds: in either order and at once, the objects form one chain holding each record once`, async (t) => {
        const a = await holder('A', shardId, maxRecords);
        const b = await holder('B', shardId, maxRecords);
        let next = 1;
        for (let round = 0; round < rounds; round += 1) {
          const mode = MODES[round % MODES.length] as Mode;
          const [lengthA, lengthB] = LENGTHS[Math.floor(round / MODES.length) % LENGTHS.length] as [
            number,
            number,
          ];
          const start = next;
          const end = start + Math.max(lengthA, lengthB) - 1;
          const upTo = new Map([
            [a, start + lengthA - 1],
            [b, start + lengthB - 1],
          ]);
          if (mode === 'at once') {
            // Both buffer their ranges (full batches go at once), then reach the age bound together
            // and flush the rest at the same moment.
            await Promise.all([a, b].map((h) => deliver(h, start, upTo.get(h) as number)));
            await sleep(AGE_MS + 20);
            await Promise.all([poll(a), poll(b)]);
          } else {
            for (const h of mode === 'A first' ? [a, b] : [b, a]) {
              await deliver(h, start, upTo.get(h) as number);
              await sleep(AGE_MS + 20);
              await poll(h);
            }
          }
          // The holder that read less keeps reading the shard (its daemon has not told it yet).
          await Promise.all(
            [a, b]
              .filter((h) => (upTo.get(h) as number) < end)
              .map((h) => deliver(h, (upTo.get(h) as number) + 1, end)),
          );
          for (let settle = 0; settle < 20; settle += 1) {
            if ([a, b].every((h) => h.checkpoints.at(-1) === end)) break;
            await sleep(AGE_MS + 20);
            await Promise.all([poll(a), poll(b)]);
          }
          for (const h of [a, b])
            assert.equal(
              h.checkpoints.at(-1),
              end,
              `round ${round} (${mode}): ${h.name} checkpointed the end`,
            );
          next = end + 1;
        }
        const total = next - 1;

        const objects = await chain(shardId);
        assert.equal(objects[0]?.first, 1, 'the chain starts at the first record');
        for (let k = 1; k < objects.length; k += 1) {
          const [previous, current] = [objects[k - 1], objects[k]] as [
            (typeof objects)[0],
            (typeof objects)[0],
          ];
          assert.equal(
            current.first,
            previous.last + 1,
            `object ${current.key} (${current.first}-${current.last}) does not start right after ${previous.key} (${previous.first}-${previous.last})`,
          );
        }
        assert.equal(objects.at(-1)?.last, total, 'the chain ends at the last record');

        const census: number[] = [];
        for (const o of objects) {
          const records = layout.records(await getObjectText(s3, layout.bucket(stack), o.key));
          assert.deepEqual(
            records,
            Array.from({ length: o.last - o.first + 1 }, (_, k) => o.first + k),
            `${o.key} holds exactly its range`,
          );
          census.push(...records);
        }
        assert.equal(census.length, total, 'as many rows as records put');
        assert.deepEqual(
          census.sort((x, y) => x - y),
          Array.from({ length: total }, (_, k) => k + 1),
          'each record once',
        );

        // Every checkpoint either holder made is an object's end, in increasing order.
        const ends = new Set(objects.map((o) => o.last));
        for (const h of [a, b]) {
          for (const [k, c] of h.checkpoints.entries()) {
            assert.ok(ends.has(c), `${h.name} checkpointed ${c}, which is no object's end`);
            if (k > 0) assert.ok(c > (h.checkpoints[k - 1] as number), `${h.name}'s checkpoints increase`);
          }
        }
        const refused = [a, b]
          .flatMap((h) => h.p.stderr)
          .filter((l) => l.includes('another writer created the object'));
        t.diagnostic(
          `${rounds} rounds, ${total} records, ${objects.length} objects, ${refused.length} writes refused by the conditional write`,
        );
        // The flushes at the same moment must really have raced to one key at least once (one of
        // them refused by S3's rule, not merely finding the other's object in its LIST).
        if (maxRecords === 1000) assert.ok(refused.length > 0, 'no conditional write was ever refused');
      });

    it('a holder that lost the shard writes nothing over the new holder and stops at its refused checkpoint', async () => {
      const shardId = 'shardId-000000000002';
      // No record bound here: each flush is one object, at the age bound.
      const fresh = await holder('new', shardId, 1000);
      const stale = await holder('old', shardId, 1000);
      // The new holder has read further and flushed 1-150.
      await deliver(fresh, 1, 150);
      await sleep(AGE_MS + 20);
      await poll(fresh);
      assert.equal(fresh.checkpoints.at(-1), 150);
      const before = await chain(shardId);

      // The old one still holds 1-100 and reaches its age bound: nothing to write, no checkpoint.
      await deliver(stale, 1, 100);
      await sleep(AGE_MS + 20);
      await poll(stale);
      assert.equal(stale.checkpoints.length, 0, "no checkpoint inside the new holder's object");
      assert.deepEqual(await chain(shardId), before);

      // Its daemon has not noticed yet and hands it 101-160: it aligns to 150 and asks to checkpoint
      // there; the daemon refuses (the lease is gone) and the processor exits.
      const exited = new Promise<number | null>((resolve) =>
        stale.p.child.once('exit', (code) => resolve(code)),
      );
      stale.p.send({
        action: 'processRecords',
        records: Array.from({ length: 60 }, (_, k) => beerRecord(101 + k)),
        millisBehindLatest: 0,
      });
      const request = await stale.p.next();
      assert.equal(request.action, 'checkpoint');
      stale.checkpoints.push(numberOf(String(request.sequenceNumber)));
      stale.p.send({
        action: 'checkpoint',
        sequenceNumber: request.sequenceNumber,
        error: 'ShutdownException',
      });
      assert.equal(await exited, 1);
      assert.deepEqual(stale.checkpoints, [150]);
      assert.deepEqual(await chain(shardId), before, "the new holder's objects, and nothing else");
    });
  });
}
