// The checks of `npm run verify`, each against a Target (infra/verify/targets.ts: a deployed stack or
// npm start's). Each does its I/O here and leaves the verdict to infra/verify/decisions.ts; none
// throws: a part that does not answer is a failed line that names it, within the check's bound.
import { randomBytes } from 'node:crypto';
import { GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import {
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { LAST_SEQUENCE_NUMBER } from '../../consumers/processor/batchingProcessor.js';
import { rowsFolder, rowsObjectRange } from '../../lib/cleanedKeys.js';
import { isRetryable, TransientError } from '../../lib/errors.js';
import { retry } from '../../lib/retry.js';
import { headMetadata, listObjects } from '../../lib/s3.js';
import { toEntry } from '../../producer/batches.js';
import { bundledBeers } from '../../producer/sources.js';
import { cleanedViews } from '../constructs/athena.js';
import {
  type Answer,
  coveringObject,
  deliveryVerdict,
  field,
  localSkips,
  partitionsToSearch,
  predictionVerdict,
  type RowsObject,
  readyVerdict,
  retrainVerdict,
  subscriptionVerdict,
} from './decisions.js';
import { type CheckResult, fail, pass, skip } from './report.js';
import type { Target } from './targets.js';

/** The beer `npm start`'s banner predicts; any beer does. */
const EXAMPLE_BEER = { abv: 4.5, target_og: 1044 };
const HTTP_TIMEOUT_MS = 10_000;

/** Every check in order; the AWS-only ones are skipped with their reason on the local stack. */
export async function runChecks(target: Target): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  results.push(await ready(target));
  results.push(await recordReachesCleaned(target));
  results.push(await retrain(target));
  results.push(await prediction(target));
  if (target.aws) {
    results.push(...(await athenaViews(target.aws)));
    const subscription = await alarmSubscription(target.aws);
    results.push(subscription, await alarmDelivery(target.aws));
  } else {
    results.push(...localSkips());
  }
  results.push(await target.leases());
  return results;
}

// ---- waiting for an outcome, under the one retry policy ----

/** The outcome is not there yet: worth another look until the bound. */
class NotYet extends TransientError {}

/**
 * Looks until `look` returns a value, every 0.25 s rising to 2 s, for at most `timeoutMs`; a
 * retryable error (a dependency away) is looked past like "not yet". Undefined when the time is
 * up, with the last error seen.
 */
export async function waitFor<T>(
  timeoutMs: number,
  look: () => Promise<T | undefined>,
): Promise<{ value: T } | { value: undefined; lastError: unknown }> {
  let lastError: unknown;
  try {
    const value = await retry(
      async () => {
        const found = await look();
        if (found === undefined) throw new NotYet('not yet');
        return found;
      },
      {
        attempts: Number.POSITIVE_INFINITY,
        baseMs: 250,
        capMs: 2000,
        jitter: 'none',
        signal: AbortSignal.timeout(timeoutMs),
        retryable: (error) => {
          if (!(error instanceof NotYet)) lastError = error;
          return error instanceof NotYet || isRetryable(error);
        },
      },
    );
    return { value };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return { value: undefined, lastError };
    return { value: undefined, lastError: error };
  }
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

// ---- HTTP ----

async function http(target: Target, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${target.apiUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(target.apiKey ? { 'x-api-key': target.apiKey } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  return { status: response.status, body: isObject ? (parsed as Record<string, unknown>) : undefined };
}

async function ready(target: Target): Promise<CheckResult> {
  try {
    return readyVerdict(await http(target, 'GET', '/ready'));
  } catch (error) {
    return readyVerdict(new Error(`${target.apiUrl}/ready: ${reason(error)}`));
  }
}

// ---- a record on the stream, then in the cleaned table ----

/**
 * Puts one bundled beer (putting a beer again is what a replay does; the table keeps the latest
 * arrival) and waits for the cleaned object holding its sequence number: the consumer read it,
 * cleaned it and wrote it durably.
 */
async function recordReachesCleaned(target: Target): Promise<CheckResult> {
  const check = 'stream → cleaned';
  const beer = bundledBeers().beers[0];
  if (!beer) return fail(check, 'no bundled beer to put');
  const putAt = new Date();
  let put: { shard: string; seq: bigint };
  try {
    const entry = toEntry(beer);
    const answer = await target.kinesis.send(
      new PutRecordCommand({
        StreamName: target.streamName,
        Data: entry.Data,
        PartitionKey: entry.PartitionKey,
      }),
    );
    put = { shard: answer.ShardId as string, seq: BigInt(answer.SequenceNumber as string) };
  } catch (error) {
    return fail(check, `could not put a record on ${target.streamName}: ${reason(error)}`);
  }
  const started = performance.now();
  const found = await waitFor(target.recordTimeoutS * 1000, async () => {
    for (const dt of partitionsToSearch(putAt, new Date())) {
      const folder = rowsFolder(dt, put.shard);
      const objects: RowsObject[] = (await listObjects(target.s3, target.cleanedBucket, folder)).flatMap(
        (o) => {
          const range = rowsObjectRange(folder, o.key);
          return range ? [{ key: o.key, ...range }] : [];
        },
      );
      const cover = coveringObject(objects, put.seq);
      if (cover.found === 'covers') return cover.object;
      if (cover.found === 'unknown') {
        const last = (await headMetadata(target.s3, target.cleanedBucket, cover.object.key))?.[
          LAST_SEQUENCE_NUMBER
        ];
        if (last !== undefined && BigInt(last) >= put.seq) return { ...cover.object, last: BigInt(last) };
      }
    }
    return undefined;
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const record = `beer ${beer.id} (${put.shard}, sequence …${String(put.seq).slice(-8)})`;
  if (found.value)
    return pass(check, `${record} in s3://${target.cleanedBucket}/${found.value.key} after ${seconds} s`);
  const last = found.lastError ? `; last error: ${reason(found.lastError)}` : '';
  return fail(
    check,
    `${record} not in s3://${target.cleanedBucket}/rows/ within ${target.recordTimeoutS} s: is the cleaned consumer reading?${last}`,
  );
}

// ---- a retrain ----

async function retrain(target: Target): Promise<CheckResult> {
  let id: string;
  try {
    const queued = await http(target, 'POST', '/retrain', {});
    if (queued.status === 401 && !target.apiKey)
      return skip('retrain', "the API needs a key and none was given: set API_KEY (or npm start's API_KEYS)");
    if (queued.status !== 202)
      return fail('retrain', `POST /retrain answered ${queued.status}: ${field(queued.body, 'message', '')}`);
    id = field(queued.body, 'id');
  } catch (error) {
    return fail('retrain', `POST /retrain: ${reason(error)}`);
  }
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const done = await waitFor(target.retrainTimeoutS * 1000, async () => {
    const job = await http(target, 'GET', `/retrain/${encodeURIComponent(id)}`);
    if (job.status !== 200) throw new Error(`GET /retrain/${id} answered ${job.status}`);
    return retrainVerdict(id, job.body, seconds());
  });
  if (done.value) return done.value;
  const last = done.lastError ? `; last error: ${reason(done.lastError)}` : '';
  return fail(
    'retrain',
    `job ${id} not finished within ${target.retrainTimeoutS} s: is the trainer running?${last}`,
  );
}

// ---- a prediction by the champion ----

/** The champion as the registry names it, and a prediction; a server that has not swapped yet gets a few seconds. */
async function prediction(target: Target): Promise<CheckResult> {
  let champion: Answer;
  try {
    champion = await http(target, 'GET', '/models/champion');
  } catch (error) {
    return fail('prediction', `GET ${target.apiUrl}/models/champion: ${reason(error)}`);
  }
  if (champion.status !== 200 && champion.status !== 404)
    return fail('prediction', `GET /models/champion answered ${champion.status}`);
  const version = champion.status === 200 ? field(champion.body, 'version') : undefined;
  let verdict: CheckResult | undefined;
  const served = await waitFor(10_000, async () => {
    verdict = predictionVerdict(version, await http(target, 'POST', '/predict', EXAMPLE_BEER));
    return verdict.status === 'pass' || version === undefined ? verdict : undefined;
  });
  if (served.value) return served.value;
  return verdict ?? fail('prediction', `POST ${target.apiUrl}/predict: ${reason(served.lastError)}`);
}

// ---- AWS only: Athena, the alarm topic ----

/** Each view answers a SELECT ... LIMIT 1 (an empty answer is fine: the view parses and runs). */
async function athenaViews(aws: NonNullable<Target['aws']>): Promise<CheckResult[]> {
  const views = cleanedViews(aws.glueDatabase, aws.glueTable);
  const results: CheckResult[] = [];
  for (const view of [views.latest.name, views.history.name]) {
    const check = `athena ${view}`;
    try {
      const { QueryExecutionId: id } = await aws.athena.send(
        new StartQueryExecutionCommand({
          QueryString: `SELECT * FROM "${aws.glueDatabase}"."${view}" LIMIT 1`,
          ...(aws.athenaOutput ? { ResultConfiguration: { OutputLocation: aws.athenaOutput } } : {}),
        }),
      );
      const done = await waitFor(120_000, async () => {
        const { QueryExecution: q } = await aws.athena.send(
          new GetQueryExecutionCommand({ QueryExecutionId: id }),
        );
        const state = q?.Status?.State;
        return state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED'
          ? { state, why: q?.Status?.StateChangeReason ?? '' }
          : undefined;
      });
      if (!done.value) results.push(fail(check, `query ${id} not finished within 120 s`));
      else if (done.value.state === 'SUCCEEDED')
        results.push(pass(check, `SELECT … LIMIT 1 succeeded (query ${id})`));
      else results.push(fail(check, `query ${id} ${done.value.state}: ${done.value.why}`));
    } catch (error) {
      const message = reason(error);
      results.push(
        /output location/i.test(message)
          ? skip(
              check,
              `the Athena workgroup has no query result location: pass --athena-output s3://<bucket>/<prefix>/ (${message})`,
            )
          : fail(check, message),
      );
    }
  }
  return results;
}

async function alarmSubscription(aws: NonNullable<Target['aws']>): Promise<CheckResult> {
  try {
    const subscriptions: { protocol?: string; arn?: string }[] = [];
    let next: string | undefined;
    do {
      const page = await aws.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: aws.alarmTopic, NextToken: next }),
      );
      for (const s of page.Subscriptions ?? [])
        subscriptions.push({ protocol: s.Protocol, arn: s.SubscriptionArn });
      next = page.NextToken;
    } while (next);
    return subscriptionVerdict(subscriptions);
  } catch (error) {
    return fail('alarm subscription', reason(error));
  }
}

/**
 * A test alarm of our own that notifies the topic, set to ALARM by hand: its history then shows
 * whether CloudWatch could publish (the topic policy and its key's). Deleted afterwards.
 */
async function alarmDelivery(aws: NonNullable<Target['aws']>): Promise<CheckResult> {
  const name = `${aws.stackName}-verify-${randomBytes(3).toString('hex')}`;
  try {
    await aws.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        AlarmDescription: 'npm run verify: a test notification through the alarm topic; ignore it',
        Namespace: `Brewstream/${aws.stackName}/verify`,
        MetricName: 'Verify',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [aws.alarmTopic],
      }),
    );
    await aws.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: name,
        StateValue: 'ALARM',
        StateReason: 'npm run verify: test notification',
      }),
    );
    const done = await waitFor(120_000, async () => {
      const history = await aws.cloudwatch.send(
        new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: 'Action' }),
      );
      return deliveryVerdict(
        aws.alarmTopic,
        (history.AlarmHistoryItems ?? []).map((item) => ({ summary: item.HistorySummary ?? '' })),
      );
    });
    return done.value ?? fail('alarm delivery', `no action recorded in ${name}'s history within 120 s`);
  } catch (error) {
    return fail('alarm delivery', reason(error));
  } finally {
    await aws.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [name] })).catch(() => {});
  }
}
