// The Lambda handler against the Kinesis stand-in: a scheduled event is one tick, {"replay": true}
// seeds the stream with the whole bundled data set, a malformed request is refused by name.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kinesisClient } from '../../lib/aws.js';
import { readStream } from '../../local/readStream.js';
import { handler } from '../../producer/lambda.js';
import { startTestStack, type TestStack } from '../support/stack.js';

describe('producer Lambda handler', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ shards: 2, env: { PRODUCER_BEERS_PER_TICK: '3' } });
  });
  after(() => stack.close());

  const recordsOnStream = async () => {
    const kinesis = kinesisClient(stack.config);
    const shards = await readStream(kinesis, stack.config.streamName);
    kinesis.destroy();
    return {
      records: shards.reduce((n, s) => n + s.records, 0),
      ids: new Set(shards.flatMap((s) => [...s.ids])),
    };
  };

  it('refuses a malformed request, naming the field, and puts nothing', async () => {
    await assert.rejects(handler({ replay: 'yes' }), /replay: expected true or false, got "yes"/);
    assert.equal((await recordsOnStream()).records, 0);
  });

  it('puts one tick for a scheduled event', async () => {
    const totals = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
    assert.equal(totals.put, 3);
    assert.equal(totals.failed, 0);
    assert.equal((await recordsOnStream()).records, 3);
  });

  it('replays all 325 bundled beers for {"replay": true}', async () => {
    const totals = await handler({ replay: true });
    assert.equal(totals.put, 325);
    const after = await recordsOnStream();
    assert.equal(after.records, 328);
    assert.equal(after.ids.size, 325);
  });
});
