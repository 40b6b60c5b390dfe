import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  coveringObject,
  deliveryVerdict,
  describeOutcome,
  leaseVerdict,
  localLeaseVerdict,
  parseVerifyArgs,
  partitionsToSearch,
  predictionVerdict,
  readyVerdict,
  retrainVerdict,
  stackOutputs,
  subscriptionVerdict,
} from './decisions.js';
import { exitCode, formatReport } from './report.js';

describe('verify: /ready', () => {
  it('passes a 200 (ready or no-model) with its fields, fails a 503 or no answer', () => {
    const ready = readyVerdict({
      status: 200,
      body: { status: 'ready', model: 'v1', redis: 'up', s3: 'ok' },
    });
    assert.equal(ready.status, 'pass');
    assert.equal(ready.evidence, '/ready 200: status ready, model v1, redis up, s3 ok');
    assert.equal(readyVerdict({ status: 200, body: { status: 'no-model', model: null } }).status, 'pass');
    assert.equal(readyVerdict({ status: 503, body: { status: 'loading' } }).status, 'fail');
    const down = readyVerdict(new Error('connect ECONNREFUSED 127.0.0.1:3000'));
    assert.equal(down.status, 'fail');
    assert.match(down.evidence, /ECONNREFUSED/);
  });
});

describe('verify: the cleaned object of a record', () => {
  const objects = [
    { key: 'a/100.csv', first: 100n },
    { key: 'a/200-250.csv', first: 200n, last: 250n },
    { key: 'a/300.csv', first: 300n },
  ];

  it('takes the object starting last at or before the record', () => {
    assert.deepEqual(coveringObject(objects, 220n), { found: 'covers', object: objects[1] });
    // Its end is in its metadata: the caller reads it.
    assert.deepEqual(coveringObject(objects, 150n), { found: 'unknown', object: objects[0] });
    assert.deepEqual(coveringObject(objects, 300n), { found: 'unknown', object: objects[2] });
  });

  it('finds none before the first object, or past the end an object names', () => {
    assert.deepEqual(coveringObject(objects, 99n), { found: 'none' });
    assert.deepEqual(coveringObject(objects, 260n), { found: 'none' });
    assert.deepEqual(coveringObject([], 1n), { found: 'none' });
  });

  it("searches the put's day, and the next one once midnight (UTC) has passed", () => {
    const put = new Date(Date.UTC(2030, 0, 1, 23, 59, 59));
    assert.deepEqual(partitionsToSearch(put, put), ['2030-01-01']);
    assert.deepEqual(partitionsToSearch(put, new Date(put.getTime() + 2000)), ['2030-01-01', '2030-01-02']);
  });
});

describe('verify: a retrain', () => {
  it('is done when completed or failed, with what it did', () => {
    const trained = retrainVerdict(
      '7',
      { state: 'completed', returnValue: { version: 'v2', promoted: true } },
      41.2,
    );
    assert.equal(trained?.status, 'pass');
    assert.equal(trained?.evidence, 'job 7 completed in 41 s: trained v2, promoted');
    const skipped = retrainVerdict(
      '8',
      { state: 'completed', returnValue: { skipped: true, reason: 'skipped: no new data' } },
      1,
    );
    assert.match(skipped?.evidence ?? '', /skipped: no new data/);
    const failed = retrainVerdict('9', { state: 'failed', failedReason: 'S3: GET ... denied' }, 3);
    assert.equal(failed?.status, 'fail');
    assert.match(failed?.evidence ?? '', /S3: GET ... denied/);
  });

  it('is not done while waiting or running', () => {
    assert.equal(retrainVerdict('7', { state: 'active' }, 1), undefined);
    assert.equal(retrainVerdict('7', { state: 'waiting' }, 1), undefined);
    assert.equal(retrainVerdict('7', undefined, 1), undefined);
    assert.equal(describeOutcome(null), 'no outcome recorded');
  });
});

describe('verify: a prediction', () => {
  it("passes only the champion's own prediction", () => {
    const served = predictionVerdict('v2', { status: 200, body: { ibu: 31.04, model: 'v2' } });
    assert.equal(served.status, 'pass');
    assert.equal(served.evidence, '/predict served ibu 31.0 by the champion v2');
    assert.equal(predictionVerdict('v2', { status: 200, body: { ibu: 30, model: 'v1' } }).status, 'fail');
  });

  it('fails with the reason when there is no champion or no prediction', () => {
    const none = predictionVerdict(undefined, { status: 503, body: { error: 'not_ready' } });
    assert.equal(none.status, 'fail');
    assert.match(none.evidence, /no champion yet.*503 not_ready/);
    assert.match(
      predictionVerdict('v2', { status: 503, body: { error: 'not_ready', message: 'no model loaded yet' } })
        .evidence,
      /503 not_ready: no model loaded yet/,
    );
  });
});

describe('verify: the consumer leases', () => {
  const open = ['shardId-000000000000', 'shardId-000000000001'];
  const lease = (leaseKey: string, leaseCounter: number, leaseOwner?: string) => ({
    leaseKey,
    leaseCounter,
    ...(leaseOwner ? { leaseOwner } : {}),
  });

  it('passes when every open shard has an owner that renewed it between the scans', () => {
    const verdict = leaseVerdict(
      open,
      [lease(open[0] as string, 5, 'w1'), lease(open[1] as string, 9, 'w2')],
      [lease(open[0] as string, 8, 'w1'), lease(open[1] as string, 12, 'w2'), lease('shardId-old', 3, 'w1')],
      12,
    );
    assert.equal(verdict.status, 'pass');
    assert.equal(verdict.evidence, '2/2 open shards leased and renewed within 12 s by 2 worker(s)');
  });

  it('names each shard without a live reader: no lease, no owner, a counter nobody moves', () => {
    const verdict = leaseVerdict(
      [...open, 'shardId-000000000002'],
      [lease(open[0] as string, 5, 'w1'), lease(open[1] as string, 9)],
      [lease(open[0] as string, 5, 'w1'), lease(open[1] as string, 9)],
      12,
    );
    assert.equal(verdict.status, 'fail');
    assert.equal(
      verdict.evidence,
      'shardId-000000000000: not renewed in 12 s (owner w1); shardId-000000000001: no owner; shardId-000000000002: no lease',
    );
    assert.equal(leaseVerdict([], [], [], 12).status, 'fail');
  });

  it('locally: the one daemon lease, held while its TTL runs', () => {
    const held = localLeaseVerdict('kcl:app:beers:lease', 'host:1:ab', 8200, open);
    assert.equal(held.status, 'pass');
    assert.match(
      held.evidence,
      /host:1:ab holds kcl:app:beers:lease \(8\.2 s left\) over the stream's 2 open shards/,
    );
    const gone = localLeaseVerdict('kcl:app:beers:lease', null, -2, open);
    assert.equal(gone.status, 'fail');
    assert.match(
      gone.evidence,
      /no daemon holds kcl:app:beers:lease: the cleaned consumer is down or stopped/,
    );
  });
});

describe('verify: the alarm topic', () => {
  const topic = 'arn:aws:sns:eu-west-1:123456789012:Alarms';

  it('needs one confirmed subscription', () => {
    assert.equal(subscriptionVerdict([{ protocol: 'email', arn: `${topic}:abc` }]).status, 'pass');
    assert.match(subscriptionVerdict([]).evidence, /nobody is subscribed.*alarmEmail/);
    const pending = subscriptionVerdict([{ protocol: 'email', arn: 'PendingConfirmation' }]);
    assert.equal(pending.status, 'fail');
    assert.match(pending.evidence, /pending confirmation/);
  });

  it("reads the test alarm's action history: executed, failed, or not yet", () => {
    const done = deliveryVerdict(topic, [{ summary: `Successfully executed action ${topic}` }]);
    assert.equal(done?.status, 'pass');
    const refused = deliveryVerdict(topic, [
      {
        summary: `Failed to execute action ${topic}. Received error: "CloudWatch Alarms is not authorized to perform: SNS:Publish"`,
      },
    ]);
    assert.equal(refused?.status, 'fail');
    assert.match(refused?.evidence ?? '', /not authorized/);
    assert.equal(deliveryVerdict(topic, []), undefined);
    assert.equal(
      deliveryVerdict(topic, [{ summary: 'Successfully executed action arn:aws:sns:x:y:Other' }]),
      undefined,
    );
  });
});

describe('verify: the command line and the report', () => {
  it('takes --stack, or --local with an optional data directory, or npm start when one runs', () => {
    assert.deepEqual(parseVerifyArgs({ stack: 'Brewstream' }, [], false), {
      target: { kind: 'aws', stack: 'Brewstream' },
      recordTimeoutS: 120,
      retrainTimeoutS: 900,
    });
    assert.deepEqual(parseVerifyArgs({ local: true, 'record-timeout': '20' }, ['/tmp/x'], false), {
      target: { kind: 'local', dataDir: '/tmp/x' },
      recordTimeoutS: 20,
      retrainTimeoutS: 900,
    });
    assert.deepEqual(parseVerifyArgs({}, [], true), {
      target: { kind: 'local', dataDir: undefined },
      recordTimeoutS: 120,
      retrainTimeoutS: 900,
    });
  });

  it('names what is wrong with the arguments', () => {
    assert.match(String(parseVerifyArgs({}, [], false)), /no target: give --stack <name>, or --local/);
    assert.equal(parseVerifyArgs({ stack: 'a', local: true }, [], false), '--stack and --local: choose one');
    assert.equal(
      parseVerifyArgs({ stack: 'a', 'retrain-timeout': 'soon' }, [], false),
      '--retrain-timeout: expected seconds, got "soon"',
    );
    assert.match(
      String(parseVerifyArgs({ stack: 'a', 'athena-output': 'bucket' }, [], false)),
      /--athena-output/,
    );
    assert.equal(parseVerifyArgs({ stack: 'a' }, ['x'], false), 'unexpected argument x');
  });

  it('needs every output the checks use, naming the missing ones', () => {
    assert.equal(
      stackOutputs({ ApiUrl: 'http://x', StreamName: 's' }),
      'the stack has no output ApiKeysSecret, CleanedBucket, ModelsBucket, GlueTable, AlarmTopic, KclApplication (deployed from an older version?)',
    );
  });

  it('prints a line per check and a count; any failure is exit code 1, skips are not', () => {
    const results = [
      { check: 'ready', status: 'pass' as const, evidence: '/ready 200' },
      { check: 'alarm delivery', status: 'skip' as const, evidence: 'AWS only' },
    ];
    assert.equal(
      formatReport('npm start', results),
      [
        'brewstream verify: npm start',
        'PASS  ready           /ready 200',
        'SKIP  alarm delivery  AWS only',
        '1 passed, 0 failed, 1 skipped',
      ].join('\n'),
    );
    assert.equal(exitCode(results), 0);
    assert.equal(exitCode([...results, { check: 'retrain', status: 'fail', evidence: 'x' }]), 1);
  });
});
