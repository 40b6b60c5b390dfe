// The S3 stand-in honours S3's conditional write (If-None-Match: * on PutObject) in its own layer
// over s3rver, atomically per key, and otherwise behaves as s3rver does.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { describe, it } from 'node:test';
import { ListObjectsV2Command, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  getObjectBytes,
  getObjectText,
  headMetadata,
  inParallel,
  putObject,
  putObjectIfAbsent,
} from '../../lib/s3.js';
import { useS3StandIn } from '../support/stack.js';

describe('S3 stand-in: conditional writes', () => {
  const fx = useS3StandIn();

  it('creates an absent key, then answers exists and leaves the first object as it was', async () => {
    const key = 'rows/dt=2026-11-24/shardId-1/100.csv';
    assert.equal(
      await putObjectIfAbsent(fx.s3, fx.bucket, key, 'first', 'text/csv', { 'last-sequence-number': '150' }),
      'written',
    );
    assert.equal(
      await putObjectIfAbsent(fx.s3, fx.bucket, key, 'second', 'text/csv', { 'last-sequence-number': '120' }),
      'exists',
    );
    assert.equal(await getObjectText(fx.s3, fx.bucket, key), 'first');
    assert.equal((await headMetadata(fx.s3, fx.bucket, key))?.['last-sequence-number'], '150');
  });

  it("answers a refused PUT with S3's status and XML error body", async () => {
    const url = `${fx.stack.env.AWS_ENDPOINT_URL_S3}/${fx.bucket}/raw-412-check.txt`;
    const created = await fetch(url, { method: 'PUT', body: 'one', headers: { 'If-None-Match': '*' } });
    assert.equal(created.status, 200);
    const refused = await fetch(url, { method: 'PUT', body: 'two', headers: { 'If-None-Match': '*' } });
    assert.equal(refused.status, 412);
    assert.match(refused.headers.get('content-type') ?? '', /application\/xml/);
    const body = await refused.text();
    assert.match(body, /<Error><Code>PreconditionFailed<\/Code><Message>[^<]+<\/Message>/);
    assert.match(body, /<Condition>If-None-Match<\/Condition>/);
    assert.equal(await (await fetch(url)).text(), 'one');
  });

  it('lets exactly one of many simultaneous conditional writes to one key create it', async () => {
    const key = `race/${randomBytes(4).toString('hex')}.txt`;
    const outcomes = await Promise.all(
      Array.from({ length: 24 }, (_, k) =>
        putObjectIfAbsent(fx.s3, fx.bucket, key, `writer ${k}`, 'text/plain'),
      ),
    );
    const winners = outcomes.flatMap((outcome, k) => (outcome === 'written' ? [k] : []));
    assert.equal(winners.length, 1, `winners: ${winners.join(', ')}`);
    assert.equal(outcomes.filter((o) => o === 'exists').length, 23);
    assert.equal(await getObjectText(fx.s3, fx.bucket, key), `writer ${winners[0]}`);
  });

  it('still overwrites on a PUT without the condition, and keeps multipart uploads working', async () => {
    const key = 'plain/object.txt';
    await putObject(fx.s3, fx.bucket, key, 'old', 'text/plain');
    await putObject(fx.s3, fx.bucket, key, 'new', 'text/plain');
    assert.equal(await getObjectText(fx.s3, fx.bucket, key), 'new');

    const big = randomBytes(11 * 1024 * 1024); // over lib-storage's 5 MB part size: three parts
    await new Upload({
      client: fx.s3,
      params: { Bucket: fx.bucket, Key: 'plain/big.bin', Body: big },
    }).done();
    assert.ok(Buffer.from(await getObjectBytes(fx.s3, fx.bucket, 'plain/big.bin')).equals(big));
  });

  it('never shows a conditional write half done: a HEAD during the PUT sees nothing or all of it', async () => {
    const key = `whole/${randomBytes(4).toString('hex')}.bin`;
    const body = randomBytes(8 * 1024 * 1024);
    const put = putObjectIfAbsent(fx.s3, fx.bucket, key, body, 'application/octet-stream', {
      'last-sequence-number': '42',
    });
    const seen: Array<Record<string, string> | undefined> = [];
    for (let k = 0; k < 20; k += 1) seen.push(await headMetadata(fx.s3, fx.bucket, key));
    assert.equal(await put, 'written');
    for (const metadata of seen) if (metadata) assert.equal(metadata['last-sequence-number'], '42');
    assert.equal((await headMetadata(fx.s3, fx.bucket, key))?.['last-sequence-number'], '42');
  });

  it('leaves nothing of a conditional PUT whose writer died mid-upload, as S3 would', async () => {
    const key = `killed/${randomBytes(4).toString('hex')}.csv`;
    const endpoint = new URL(fx.stack.env.AWS_ENDPOINT_URL_S3 as string);
    // An upload announced as 1,000 bytes that stops after 10: the writer is killed.
    const socketClosed = new Promise<void>((resolve) => {
      const request = http.request({
        host: endpoint.hostname,
        port: endpoint.port,
        method: 'PUT',
        path: `/${fx.bucket}/${key}`,
        headers: { 'content-length': '1000', 'if-none-match': '*' },
      });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.write('0123456789');
      setTimeout(() => request.destroy(), 300);
    });
    await socketClosed;
    // The next writer finds the key free (its request waits for the dead one to be cleaned up).
    assert.equal(
      await putObjectIfAbsent(fx.s3, fx.bucket, key, 'complete', 'text/csv', { 'last-sequence-number': '7' }),
      'written',
    );
    assert.equal(await getObjectText(fx.s3, fx.bucket, key), 'complete');
    assert.equal((await headMetadata(fx.s3, fx.bucket, key))?.['last-sequence-number'], '7');
  });

  it('lists more than 1,000 keys with ListObjectsV2 pages, start-after and a delimiter (s3rver alone fails)', async () => {
    const prefix = `many-${randomBytes(3).toString('hex')}/`;
    const keys = Array.from(
      { length: 2345 },
      (_, i) => `${prefix}d=${i % 3}/k&${String(i).padStart(5, '0')}.txt`,
    );
    await inParallel(keys, 32, (key) => putObject(fx.s3, fx.bucket, key, 'x', 'text/plain'));
    const listed: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: fx.s3 },
      { Bucket: fx.bucket, Prefix: prefix },
    )) {
      pages += 1;
      listed.push(...(page.Contents ?? []).map((item) => item.Key ?? ''));
    }
    assert.deepEqual(listed, [...keys].sort());
    assert.equal(pages, 3);
    const after: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: fx.s3 },
      { Bucket: fx.bucket, Prefix: prefix, StartAfter: `${prefix}d=1` },
    ))
      after.push(...(page.Contents ?? []).map((item) => item.Key ?? ''));
    assert.deepEqual(
      after,
      [...keys].sort().filter((key) => key > `${prefix}d=1`),
    );
    const top = await fx.s3.send(
      new ListObjectsV2Command({ Bucket: fx.bucket, Prefix: prefix, Delimiter: '/' }),
    );
    assert.deepEqual(
      (top.CommonPrefixes ?? []).map((p) => p.Prefix),
      ['d=0/', 'd=1/', 'd=2/'].map((d) => prefix + d),
    );
    assert.equal(top.KeyCount, 3);
  });
});
