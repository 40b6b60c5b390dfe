// Every name and size of a deployment, read once from CDK context (cdk.json, or `-c key=value` on
// the command line) and checked, so a bad value stops the synth with a message naming the key.
// Defaults suit a small production deployment; cdk.json repeats them so they are easy to find.
import { type Static, Type } from 'typebox';
import { ConfigError } from '../lib/errors.js';
import { Integer, type SettingSource, settingsReader } from '../lib/settingsReader.js';

/** What a construct's `node.tryGetContext` returns: typed from cdk.json, strings from `-c`. */
export type ContextReader = (key: string) => unknown;

/** cdk.json's values are typed; only `-c` gives text, and there a boolean is true or false. */
function cdkContext(get: ContextReader): SettingSource {
  return {
    name: 'CDK context',
    value: (key) => {
      const value = get(key);
      return value === null || value === '' ? undefined : value;
    },
    boolean: (text) => (text === 'true' ? true : text === 'false' ? false : undefined),
  };
}

// The retention periods CloudWatch Logs accepts.
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * Fargate's valid CPU units and, for each, the memory sizes (MiB) it accepts: AWS's task size
 * table. 256 units take 512, 1024 or 2048; the others a range in 1 GiB steps.
 */
const FARGATE_MEMORY_MIB: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: gibSteps(1024, 4096),
  1024: gibSteps(2048, 8192),
  2048: gibSteps(4096, 16_384),
  4096: gibSteps(8192, 30_720),
};

function gibSteps(from: number, to: number): number[] {
  return Array.from({ length: (to - from) / 1024 + 1 }, (_, i) => from + i * 1024);
}

/** The memory sizes of one CPU size, as an error message says them. */
function fargateMemoryRule(sizes: number[]): string {
  const [lo, hi] = [sizes[0], sizes.at(-1)];
  return sizes.length <= 3
    ? `${sizes.slice(0, -1).join(', ')} or ${hi} MiB`
    : `${lo}-${hi} MiB in 1024 MiB steps`;
}

function FargateSize(role: string, cpu: number, memoryMiB: number) {
  return {
    cpu: Type.Integer({ key: `${role}Cpu`, default: cpu, enum: Object.keys(FARGATE_MEMORY_MIB).map(Number) }),
    memoryMiB: Integer(`${role}MemoryMiB`, memoryMiB, 512, 30_720),
  };
}

const NAME = /^[a-zA-Z][a-zA-Z0-9_.-]{0,127}$/;
const GLUE_NAME = /^[a-z][a-z0-9_]{0,254}$/;
const GLUE_WHAT = 'a Glue name (lowercase, digits, _)';
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

const StackSchema = Type.Object({
  stackName: Type.String({
    key: 'stackName',
    default: 'Brewstream',
    // Short enough for every name derived from it (the Redis replication group id allows 40
    // characters), and hyphens only between letters or digits, as ElastiCache wants them.
    pattern: /^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$/,
    maxLength: 30,
    what: 'a stack name (letters, digits, single hyphens)',
  }),
});

// The names without a default here take theirs from the stack name (loadSettings).
const SettingsSchema = Type.Object({
  streamName: Type.String({ key: 'streamName', pattern: NAME, what: 'a Kinesis stream name' }),
  applicationName: Type.String({ key: 'kclApplicationName', pattern: NAME, what: 'a KCL application name' }),
  glueDatabase: Type.String({ key: 'glueDatabase', pattern: GLUE_NAME, what: GLUE_WHAT }),
  glueTable: Type.String({ key: 'glueTable', default: 'cleaned_beers', pattern: GLUE_NAME, what: GLUE_WHAT }),
  // Stream and raw delivery. The shard count is a synth-time number, not a CloudFormation
  // parameter, because the consumer's task count is derived from it (docs/aws.md).
  shardCount: Integer('shardCount', 2, 1, 500),
  streamRetentionHours: Integer('streamRetentionHours', 24, 24, 8760),
  firehoseBufferSeconds: Integer('firehoseBufferSeconds', 300, 0, 900),
  rawInfrequentAccessDays: Integer('rawInfrequentAccessDays', 30, 30, 3650),
  rawExpirationDays: Integer('rawExpirationDays', 365, 31, 36_500),
  // Network and cache
  maxAzs: Integer('maxAzs', 2, 2, 6),
  natGateways: Integer('natGateways', 1, 1, 6),
  // The consumer's and producer's Kinesis calls through an interface endpoint instead of the NAT
  // gateway: a fixed hourly price per AZ against NAT's per-GB one (docs/aws.md "Costs").
  kinesisVpcEndpoint: Type.Boolean({ key: 'kinesisVpcEndpoint', default: false }),
  cacheNodeType: Type.String({
    key: 'cacheNodeType',
    default: 'cache.t4g.small',
    pattern: /^cache\.[a-z0-9]+\.[a-z0-9]+$/,
    what: 'a cache node type',
  }),
  cacheReplicas: Integer('cacheReplicas', 1, 1, 5),
  // Services (Fargate sizes in CPU units and MiB)
  server: Type.Object({
    ...FargateSize('server', 1024, 2048),
    minTasks: Integer('serverMinTasks', 2, 1, 100),
    maxTasks: Integer('serverMaxTasks', 6, 1, 100),
    cpuTargetPercent: Integer('serverCpuTargetPercent', 60, 10, 90),
    requestsPerTarget: Integer('serverRequestsPerTarget', 3000, 10, 1_000_000),
    // RATE_LIMIT_PER_MINUTE of each server task: per API key, else per client address, counted in
    // each task's memory (so a client spread over n tasks gets up to n times this).
    rateLimitPerMinute: Integer('serverRateLimitPerMinute', 600, 1, 1_000_000),
  }),
  consumer: Type.Object({
    ...FargateSize('consumer', 1024, 2048),
    shardsPerTask: Integer('consumerShardsPerTask', 4, 1, 64),
    // Kinesis serves 5 GetRecords a second per shard to all readers together; Firehose takes
    // one. At 400 ms the consumer takes 2.5, leaving room for a second worker during a lease
    // hand-over.
    pollIntervalMs: Integer('consumerPollIntervalMs', 500, 400, 60_000),
  }),
  trainer: Type.Object({
    ...FargateSize('trainer', 2048, 4096),
    // TRAIN_MAX_ROWS of the trainer task: its memory follows this bound, not the table (trainer/sample.ts).
    maxRows: Type.Integer({ key: 'trainMaxRows', default: 100_000, minimum: 100, maximum: 10_000_000 }),
  }),
  // Producer (Lambda on an EventBridge schedule)
  producerIntervalMinutes: Integer('producerIntervalMinutes', 5, 1, 1440),
  producerBeersPerTick: Integer('producerBeersPerTick', 1, 1, 10_000),
  producerSource: Type.Enum(['db', 'api'], { key: 'producerSource', default: 'db' }),
  // Access
  allowedCidr: Type.String({ key: 'allowedCidr', default: '0.0.0.0/0', pattern: CIDR, what: 'an IPv4 CIDR' }),
  certificateArn: Type.Optional(
    Type.String({ key: 'certificateArn', pattern: /^arn:aws[a-z-]*:acm:/, what: 'an ACM certificate ARN' }),
  ),
  // The DNS name clients use (and the certificate covers): ApiUrl is https://<domainName>.
  domainName: Type.Optional(
    Type.String({
      key: 'domainName',
      pattern: /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      what: 'a lower-case DNS name',
    }),
  ),
  // For a trial only: a stack without certificateArn, where API keys cross the network in clear text.
  allowKeysOverHttp: Type.Boolean({ key: 'allowKeysOverHttp', default: false }),
  predictRequiresKey: Type.Boolean({ key: 'predictRequiresKey', default: false }),
  // Operations
  logRetentionDays: Type.Integer({ key: 'logRetentionDays', default: 30, enum: LOG_RETENTION_DAYS }),
  alarmEmail: Type.Optional(
    Type.String({ key: 'alarmEmail', pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/, what: 'an email address' }),
  ),
  consumerLagAlarmSeconds: Integer('consumerLagAlarmSeconds', 60, 1, 604_800),
  deadLetterAlarmCount: Integer('deadLetterAlarmCount', 1, 1, 1_000_000),
  server5xxAlarmCount: Integer('server5xxAlarmCount', 10, 1, 1_000_000),
  readThrottleAlarmCount: Integer('readThrottleAlarmCount', 10, 1, 1_000_000),
  rawFreshnessAlarmSeconds: Integer('rawFreshnessAlarmSeconds', 1800, 60, 86_400),
  cacheMemoryAlarmPercent: Integer('cacheMemoryAlarmPercent', 80, 10, 100),
});

/** What is read, and what follows from it: the cache's id and the consumer's task count. */
export type Settings = Static<typeof StackSchema> &
  Static<typeof SettingsSchema> & { cacheId: string; consumer: { tasks: number } };

const stackReader = settingsReader(StackSchema);
const reader = settingsReader(SettingsSchema);

/**
 * What one consumer task holds: Amazon's MultiLangDaemon (a JVM; an allowance) plus one Node
 * processor per shard it leases (the consumer benchmark's peak on Node 24, 287 MiB). Explained in
 * docs/aws.md "Consumer capacity"; the settings check that consumerMemoryMiB holds
 * consumerShardsPerTask processors beside the JVM.
 */
export const CONSUMER_JVM_MIB = 768;
export const CONSUMER_PROCESSOR_MIB = 288;

/**
 * What one trainer task holds: Node, tfjs and a streamed table's working set (an allowance), plus
 * the training set, which trainMaxRows bounds whatever the table holds (the trainer benchmark's
 * peak RSS of one retrain at the default 100,000 rows on a table of 1,000,000; docs/aws.md
 * "Trainer capacity"). The settings check that trainerMemoryMiB holds trainMaxRows rows.
 */
export const TRAINER_BASE_MIB = 640;
export const TRAINER_ROW_KIB = 8;

/** The memory a trainer task needs for a training set of `maxRows` rows. */
export const trainerMemoryNeeded = (maxRows: number) =>
  TRAINER_BASE_MIB + Math.ceil((maxRows * TRAINER_ROW_KIB) / 1024);

/**
 * The physical names every deployment would otherwise share, derived from the stack name so
 * that two stacks fit in one account and region and a redeploy after `cdk destroy` finds no
 * leftover with the same name. Each may still be set by context.
 */
export function defaultNames(stackName: string) {
  const base = stackName.toLowerCase();
  return {
    streamName: `${base}-beers`,
    applicationName: `${base}-cleaned`,
    glueDatabase: base.replace(/-/g, '_'),
    cacheId: `${base}-redis`,
  };
}

/** The rules between settings, each reported on the key to change. */
function crossChecks(settings: Settings): string[] {
  const problems: string[] = [];
  for (const role of ['server', 'consumer', 'trainer'] as const) {
    const { cpu, memoryMiB } = settings[role];
    // An invalid cpu is reported on its own key already.
    const sizes = FARGATE_MEMORY_MIB[cpu];
    if (sizes && !sizes.includes(memoryMiB)) {
      problems.push(
        `${role}MemoryMiB: Fargate allows ${fargateMemoryRule(sizes)} with ${cpu} CPU units, got ${memoryMiB}`,
      );
    }
  }
  const { shardsPerTask, memoryMiB } = settings.consumer;
  const needed = CONSUMER_JVM_MIB + shardsPerTask * CONSUMER_PROCESSOR_MIB;
  if (memoryMiB < needed) {
    problems.push(
      `consumerShardsPerTask: ${shardsPerTask} shards need ${needed} MiB per task (${CONSUMER_JVM_MIB} for the daemon, ${CONSUMER_PROCESSOR_MIB} per processor), consumerMemoryMiB is ${memoryMiB}`,
    );
  }
  const trainerNeeds = trainerMemoryNeeded(settings.trainer.maxRows);
  if (settings.trainer.memoryMiB < trainerNeeds) {
    problems.push(
      `trainMaxRows: ${settings.trainer.maxRows} rows need ${trainerNeeds} MiB per trainer task (${TRAINER_BASE_MIB} and ${TRAINER_ROW_KIB} KiB a row), trainerMemoryMiB is ${settings.trainer.memoryMiB}`,
    );
  }
  if (settings.rawFreshnessAlarmSeconds <= settings.firehoseBufferSeconds) {
    problems.push(
      `rawFreshnessAlarmSeconds: must exceed firehoseBufferSeconds (${settings.firehoseBufferSeconds}), got ${settings.rawFreshnessAlarmSeconds}`,
    );
  }
  if (settings.certificateArn === undefined && !settings.allowKeysOverHttp) {
    problems.push(
      'certificateArn: not set, so the load balancer speaks plain HTTP and every API key (the x-api-key header, basic auth, the dashboard login) would cross the network in clear text; set certificateArn to an ACM certificate, or allowKeysOverHttp=true for a trial',
    );
  }
  if (settings.server.maxTasks < settings.server.minTasks) {
    problems.push(
      `serverMaxTasks: must be at least serverMinTasks (${settings.server.minTasks}), got ${settings.server.maxTasks}`,
    );
  }
  if (settings.rawExpirationDays <= settings.rawInfrequentAccessDays) {
    problems.push(
      `rawExpirationDays: must be after rawInfrequentAccessDays (${settings.rawInfrequentAccessDays}), got ${settings.rawExpirationDays}`,
    );
  }
  return problems;
}

/** Reads and checks every setting; throws one ConfigError naming each bad key. */
export function loadSettings(get: ContextReader): Settings {
  const source = cdkContext(get);
  const stack = stackReader.read(source);
  const names = defaultNames(stack.value.stackName);
  const read = reader.read(source, {
    streamName: names.streamName,
    kclApplicationName: names.applicationName,
    glueDatabase: names.glueDatabase,
  });
  const settings: Settings = {
    ...stack.value,
    ...read.value,
    cacheId: names.cacheId,
    consumer: {
      ...read.value.consumer,
      // One task per shardsPerTask shards; each task leases at most that many (maxLeasesForWorker),
      // so no task runs more processors than its memory was sized for (docs/aws.md).
      tasks: Math.ceil(read.value.shardCount / read.value.consumer.shardsPerTask),
    },
  };
  const problems = [...stack.problems, ...read.problems, ...crossChecks(settings)];
  if (problems.length > 0) throw new ConfigError(problems, source.name);
  return settings;
}
