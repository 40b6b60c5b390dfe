// The verdicts of `npm run verify`, as pure functions of what the checks saw (infra/verify/checks.ts
// does the I/O): each takes the answers and returns a pass, fail or skip with its evidence.
import { type CheckResult, fail, pass, skip } from './report.js';

/** An HTTP answer of the API: its status and its JSON body, if it had one. */
export interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** A field of a JSON body as text, or `fallback` when it is missing or not a string or number. */
export function field(body: Record<string, unknown> | undefined, name: string, fallback = '?'): string {
  const value = body?.[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
}

// ---- /ready ----

/** 200 (ready, or no-model on a fresh stack) passes; 503 (loading) or anything else fails. */
export function readyVerdict(answer: Answer | Error): CheckResult {
  if (answer instanceof Error) return fail('ready', `no answer: ${answer.message}`);
  const { status, body } = answer;
  const fields = `status ${field(body, 'status')}, model ${field(body, 'model', 'none')}, redis ${field(body, 'redis')}, s3 ${field(body, 's3')}`;
  return status === 200
    ? pass('ready', `/ready 200: ${fields}`)
    : fail('ready', `/ready ${status}: ${fields}`);
}

// ---- a record, then its cleaned object ----

/** An object of rows/ under the record's shard: where it starts, and where it ends if known. */
export interface RowsObject {
  key: string;
  first: bigint;
  last?: bigint;
}

/**
 * The object a record with sequence number `seq` went into: the one starting last at or before it.
 * Its end decides: `covers` when it is known and reaches `seq`, `unknown` when only its metadata
 * can tell (the caller reads it), `none` when no object starts at or before `seq`.
 */
export function coveringObject(
  objects: RowsObject[],
  seq: bigint,
): { found: 'covers' | 'unknown'; object: RowsObject } | { found: 'none' } {
  const candidates = objects.filter((o) => o.first <= seq).sort((a, b) => (a.first < b.first ? 1 : -1));
  const object = candidates[0];
  if (!object) return { found: 'none' };
  if (object.last === undefined) return { found: 'unknown', object };
  return object.last >= seq ? { found: 'covers', object } : { found: 'none' };
}

/** The date partitions a record put at `putAt` can be in: its arrival's day (UTC), and the next if `now` is past midnight. */
export function partitionsToSearch(putAt: Date, now: Date): string[] {
  const days = [putAt.toISOString().slice(0, 10), now.toISOString().slice(0, 10)];
  return [...new Set(days)];
}

// ---- retrain ----

/** A finished job, in a few words: trained and promoted or not, or why it was skipped. */
export function describeOutcome(returnValue: unknown): string {
  if (typeof returnValue !== 'object' || returnValue === null) return 'no outcome recorded';
  const outcome = returnValue as { skipped?: boolean; reason?: string; version?: string; promoted?: boolean };
  if (outcome.skipped) return outcome.reason ?? 'skipped';
  const promoted = outcome.promoted ? 'promoted' : 'not promoted';
  return `trained ${outcome.version ?? '?'}, ${promoted}${outcome.reason ? ` (${outcome.reason})` : ''}`;
}

/** Done once the job (GET /retrain/:id) completed or failed; undefined while it is waiting or running. */
export function retrainVerdict(
  id: string,
  job: Record<string, unknown> | undefined,
  seconds: number,
): CheckResult | undefined {
  const state = field(job, 'state');
  if (state === 'completed')
    return pass(
      'retrain',
      `job ${id} completed in ${seconds.toFixed(0)} s: ${describeOutcome(job?.returnValue)}`,
    );
  if (state === 'failed')
    return fail(
      'retrain',
      `job ${id} failed after ${seconds.toFixed(0)} s: ${field(job, 'failedReason', 'no reason recorded')}`,
    );
  return undefined;
}

// ---- a prediction by the champion ----

/** A prediction passes when /predict answers 200 with the model the registry names champion. */
export function predictionVerdict(champion: string | undefined, answer: Answer): CheckResult {
  const { status, body } = answer;
  if (champion === undefined)
    return fail(
      'prediction',
      `the registry names no champion yet: seed the stream (docs/aws.md "First data"); /predict answered ${status} ${field(body, 'error', '')}`.trim(),
    );
  if (status !== 200)
    return fail(
      'prediction',
      `/predict answered ${status} ${field(body, 'error', '')}: ${field(body, 'message', '')}`,
    );
  const model = field(body, 'model', 'none');
  const ibu = typeof body?.ibu === 'number' ? body.ibu.toFixed(1) : '?';
  return model === champion
    ? pass('prediction', `/predict served ibu ${ibu} by the champion ${champion}`)
    : fail('prediction', `/predict served model ${model}, the champion is ${champion}`);
}

// ---- the consumer's leases ----

/** A lease as the KCL lease table holds it (leaseKey is the shard id in a single-stream application). */
export interface Lease {
  leaseKey: string;
  leaseOwner?: string;
  leaseCounter: number;
  checkpoint?: string;
}

/**
 * Every open shard has a lease whose owner renewed it between two scans (`before` and `after`,
 * a lease period or more apart). A lease nobody renews has expired: its shard has no reader.
 */
export function leaseVerdict(
  openShards: string[],
  before: Lease[],
  after: Lease[],
  seconds: number,
): CheckResult {
  const earlier = new Map(before.map((l) => [l.leaseKey, l]));
  const later = new Map(after.map((l) => [l.leaseKey, l]));
  const problems: string[] = [];
  const owners = new Set<string>();
  for (const shard of openShards) {
    const lease = later.get(shard);
    const counter = earlier.get(shard)?.leaseCounter;
    if (!lease) problems.push(`${shard}: no lease`);
    else if (!lease.leaseOwner) problems.push(`${shard}: no owner`);
    else if (counter === undefined || lease.leaseCounter <= counter)
      problems.push(`${shard}: not renewed in ${seconds.toFixed(0)} s (owner ${lease.leaseOwner})`);
    else owners.add(lease.leaseOwner);
  }
  if (openShards.length === 0) return fail('consumer leases', 'the stream has no open shard');
  if (problems.length > 0) return fail('consumer leases', problems.join('; '));
  return pass(
    'consumer leases',
    `${openShards.length}/${openShards.length} open shards leased and renewed within ${seconds.toFixed(0)} s by ${owners.size} worker(s)`,
  );
}

/** The local daemon: one lease in Redis over every shard of the stream. */
export function localLeaseVerdict(
  key: string,
  owner: string | null,
  ttlMs: number,
  openShards: string[],
): CheckResult {
  if (owner === null || ttlMs <= 0)
    return fail(
      'consumer leases',
      `no daemon holds ${key}: the cleaned consumer is down or stopped (its lease expired)`,
    );
  return pass(
    'consumer leases',
    `the local daemon ${owner} holds ${key} (${(ttlMs / 1000).toFixed(1)} s left) over the stream's ${openShards.length} open shards (${openShards.join(', ')})`,
  );
}

// ---- the alarm topic ----

export function subscriptionVerdict(subscriptions: { protocol?: string; arn?: string }[]): CheckResult {
  const confirmed = subscriptions.filter(
    (s) => s.arn && s.arn !== 'PendingConfirmation' && s.arn !== 'Deleted',
  );
  const pending = subscriptions.length - confirmed.length;
  if (confirmed.length === 0)
    return fail(
      'alarm subscription',
      subscriptions.length === 0
        ? 'nobody is subscribed to the alarm topic: deploy with -c alarmEmail=... and confirm the email'
        : `${pending} subscription(s) still pending confirmation: confirm the email AWS sent`,
    );
  const protocols = [...new Set(confirmed.map((s) => s.protocol ?? '?'))].join(', ');
  return pass(
    'alarm subscription',
    `${confirmed.length} confirmed (${protocols})${pending ? `, ${pending} pending` : ''}`,
  );
}

/** CloudWatch's record of running an alarm action, from DescribeAlarmHistory (HistoryItemType Action). */
export interface AlarmHistoryItem {
  summary: string;
}

/** Done once the history shows the SNS action ran, or failed; undefined while it shows neither. */
export function deliveryVerdict(topicArn: string, history: AlarmHistoryItem[]): CheckResult | undefined {
  const about = history.filter((h) => h.summary.includes(topicArn));
  const failed = about.find((h) => /failed to execute action/i.test(h.summary));
  if (failed) return fail('alarm delivery', failed.summary);
  const done = about.find((h) => /successfully executed action/i.test(h.summary));
  if (done) return pass('alarm delivery', done.summary);
  return undefined;
}

// ---- the command line ----

export type VerifyTarget = { kind: 'aws'; stack: string } | { kind: 'local'; dataDir: string | undefined };

export interface VerifyOptions {
  target: VerifyTarget;
  /** How long a record may take to reach the cleaned table. */
  recordTimeoutS: number;
  /** How long a retrain may take. */
  retrainTimeoutS: number;
  /** Athena's query result location, when the workgroup has none. */
  athenaOutput?: string;
}

export const USAGE = `npm run verify -- --stack <name>     check a deployed stack (AWS credentials of the CLI)
npm run verify -- --local [<dir>]    check npm start's stack (its LOCAL_DATA_DIR, default .brewstream)
options: --record-timeout <s> (120)  --retrain-timeout <s> (900)  --athena-output s3://<bucket>/<prefix>/`;

/** Reads the arguments; a string is what is wrong with them. `localFound` decides when neither target is named. */
export function parseVerifyArgs(
  values: {
    stack?: string;
    local?: boolean;
    'record-timeout'?: string;
    'retrain-timeout'?: string;
    'athena-output'?: string;
  },
  positionals: string[],
  localFound: boolean,
): VerifyOptions | string {
  if (values.stack !== undefined && values.local) return '--stack and --local: choose one';
  if (positionals.length > 0 && !values.local) return `unexpected argument ${positionals[0]}`;
  if (positionals.length > 1) return `unexpected argument ${positionals[1]}`;
  const seconds = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    return Number.isFinite(n) && n > 0 ? n : `--${name}: expected seconds, got "${text}"`;
  };
  const recordTimeoutS = seconds('record-timeout', values['record-timeout'], 120);
  const retrainTimeoutS = seconds('retrain-timeout', values['retrain-timeout'], 900);
  if (typeof recordTimeoutS === 'string') return recordTimeoutS;
  if (typeof retrainTimeoutS === 'string') return retrainTimeoutS;
  const athenaOutput = values['athena-output'];
  if (athenaOutput !== undefined && !/^s3:\/\/[^/]+\/.*$/.test(athenaOutput))
    return `--athena-output: expected s3://<bucket>/<prefix>/, got "${athenaOutput}"`;
  let target: VerifyTarget;
  if (values.stack !== undefined) target = { kind: 'aws', stack: values.stack };
  else if (values.local || localFound) target = { kind: 'local', dataDir: positionals[0] };
  else return 'no target: give --stack <name>, or --local for npm start (none is running here)';
  return { target, recordTimeoutS, retrainTimeoutS, ...(athenaOutput ? { athenaOutput } : {}) };
}

/** The outputs a deployed stack must have for the checks; missing ones are named. */
export const STACK_OUTPUTS = [
  'ApiUrl',
  'ApiKeysSecret',
  'StreamName',
  'CleanedBucket',
  'ModelsBucket',
  'GlueTable',
  'AlarmTopic',
  'KclApplication',
] as const;

export type StackOutputs = Record<(typeof STACK_OUTPUTS)[number], string>;

export function stackOutputs(outputs: Record<string, string | undefined>): StackOutputs | string {
  const missing = STACK_OUTPUTS.filter((key) => !outputs[key]);
  if (missing.length > 0)
    return `the stack has no output ${missing.join(', ')} (deployed from an older version?)`;
  return Object.fromEntries(STACK_OUTPUTS.map((key) => [key, outputs[key] as string])) as StackOutputs;
}

/** A reason for each AWS-only check, when the target is the local stack. */
export const LOCAL_SKIPS: Record<string, string> = {
  athena: 'AWS only: npm start has no Glue catalog or Athena (the views are tested as template)',
  'alarm subscription': 'AWS only: npm start has no SNS topic or alarms',
  'alarm delivery': 'AWS only: npm start has no CloudWatch alarms',
};

export const localSkips = (): CheckResult[] =>
  Object.entries(LOCAL_SKIPS).map(([check, why]) => skip(check, why));
