// How many PUTs one batch write may make while S3 answers 500 to every write: the processor's retry
// policy is the whole budget (docs/design.md "Retries"), not multiplied by the SDK's own retries.
// The requests are counted where they arrive, at an HTTP server standing in for a failing S3.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Checkpointer } from 'aws-kcl';
import { cleanedSink } from '../../consumers/cleaned/sink.js';
import { batchingProcessor, WRITE_RETRY } from '../../consumers/processor/batchingProcessor.js';
import { processorS3Client } from '../../consumers/processor/main.js';
import { loadConfig } from '../../lib/config.js';
import { S3RVER_CREDENTIALS } from '../../local/s3StandIn.js';
import { capturingLogger } from '../support/capture.js';
import { kclRecord } from '../support/multilang.js';

const errorXml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message><RequestId>r</RequestId></Error>`;
const emptyListing = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>cleaned</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`;

describe('one batch write against an S3 that answers 500 to every PUT', () => {
  let server: Server;
  const puts = new Map<string, number>();

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://x');
        if (request.method === 'GET' && url.searchParams.get('list-type') === '2') {
          response.writeHead(200, { 'content-type': 'application/xml' }).end(emptyListing);
          return;
        }
        const path = decodeURIComponent(url.pathname);
        if (request.method === 'PUT') puts.set(path, (puts.get(path) ?? 0) + 1);
        response.writeHead(500, { 'content-type': 'application/xml' }).end(errorXml('InternalError'));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Runs one batch of these records through a processor until it gives up; the PUTs per path. */
  const writeOnce = async (records: ReturnType<typeof kclRecord>[]) => {
    puts.clear();
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const env = { ...S3RVER_CREDENTIALS, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: endpoint };
    Object.assign(process.env, env); // the SDK reads its endpoint and credentials from here
    const config = loadConfig({ ...process.env, ...env, CLEANED_BUCKET: 'cleaned' });
    const { logger } = capturingLogger();
    const s3 = processorS3Client(config);
    let failure: unknown;
    await new Promise<void>((resolve) => {
      const processor = batchingProcessor(
        cleanedSink({ s3, bucket: 'cleaned', maxRecordBytes: 1024, logger }),
        {
          bounds: { maxRecords: 100, maxBytes: 1 << 20, maxAgeMs: 0 },
          logger,
          sleep: async () => {}, // the budget is counted, not waited for
          exit: (error) => {
            failure = error;
            resolve();
          },
        },
      );
      const checkpointer: Checkpointer = {
        checkpoint: (...args: unknown[]) => (args.at(-1) as (error: unknown) => void)('unexpected'),
      };
      processor.initialize({ shardId: 'shardId-000000000000' }, () => {});
      processor.processRecords({ checkpointer, records }, () => resolve());
    });
    s3.destroy();
    // The S3 failure, wrapped to name the object, with S3's own code.
    assert.match(
      String((failure as Error)?.message),
      /^S3: PUT .*: InternalError \(HTTP 500\)$/,
      'the processor gave up on the write',
    );
    return [...puts];
  };

  it(`sends a batch's rows object ${WRITE_RETRY.attempts} times in all, then gives up`, async () => {
    const seen = await writeOnce([
      kclRecord(JSON.stringify({ id: 1, name: 'a' }), '100', '1'),
      kclRecord(JSON.stringify({ id: 2, name: 'b' }), '102', '2'),
    ]);
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.match(seen[0]?.[0] ?? '', /^\/cleaned\/rows\/dt=[\d-]+\/shardId-000000000000\/100\.csv$/);
    assert.equal(seen[0]?.[1], WRITE_RETRY.attempts, `PUTs: ${JSON.stringify(seen)}`);
  });

  it(`sends a dead letter ${WRITE_RETRY.attempts} times in all (dead letters go first, so no rows object follows)`, async () => {
    const seen = await writeOnce([
      kclRecord(JSON.stringify({ id: 1, name: 'a' }), '100', '1'),
      kclRecord('not json', '101', 'x'),
    ]);
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.match(seen[0]?.[0] ?? '', /^\/cleaned\/rejected\/dt=[\d-]+\/shardId-000000000000\/101\.json$/);
    assert.equal(seen[0]?.[1], WRITE_RETRY.attempts, `PUTs: ${JSON.stringify(seen)}`);
  });
});
