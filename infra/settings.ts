// Every name and size of a deployment, read once from CDK context (cdk.json, or `-c key=value` on
// the command line) and checked, so a bad value stops the synth with a message naming the key.
// Defaults suit a small production deployment; cdk.json repeats them so they are easy to find.

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid CDK context:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/** What a construct's `node.tryGetContext` returns: typed from cdk.json, strings from `-c`. */
export type ContextReader = (key: string) => unknown;

// The retention periods CloudWatch Logs accepts.
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly get: ContextReader) {}

  private raw(key: string): unknown {
    const value = this.get(key);
    return value === undefined || value === null || value === '' ? undefined : value;
  }

  int(key: string, fallback: number, min: number, max: number): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const n =
      typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (!Number.isInteger(n)) {
      this.problems.push(`${key}: expected a whole number, got ${JSON.stringify(value)}`);
      return fallback;
    }
    if (n < min || n > max) {
      this.problems.push(`${key}: must be between ${min} and ${max}, got ${n}`);
      return fallback;
    }
    return n;
  }

  oneOfNumbers(key: string, fallback: number, allowed: number[]): number {
    const n = this.int(key, fallback, Math.min(...allowed), Math.max(...allowed));
    if (!allowed.includes(n)) {
      this.problems.push(`${key}: must be one of ${allowed.join(', ')}, got ${n}`);
      return fallback;
    }
    return n;
  }

  string(key: string, fallback: string, pattern: RegExp, what: string): string {
    const value = this.raw(key) ?? fallback;
    if (typeof value !== 'string' || !pattern.test(value)) {
      this.problems.push(`${key}: ${JSON.stringify(value)} is not ${what}`);
      return fallback;
    }
    return value;
  }

  optional(key: string, pattern: RegExp, what: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) {
      this.problems.push(`${key}: ${JSON.stringify(value)} is not ${what}`);
      return undefined;
    }
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.problems.push(`${key}: expected true or false, got ${JSON.stringify(value)}`);
    return fallback;
  }
}

/** Fargate's valid CPU units and, for each, the memory (MiB) it allows. */
function fargateSize(r: Reader, role: string, cpu: number, memoryMiB: number) {
  const size = {
    cpu: r.oneOfNumbers(`${role}Cpu`, cpu, [256, 512, 1024, 2048, 4096]),
    memoryMiB: r.int(`${role}MemoryMiB`, memoryMiB, 512, 30_720),
  };
  const ranges: Record<number, [number, number]> = {
    256: [512, 2048],
    512: [1024, 4096],
    1024: [2048, 8192],
    2048: [4096, 16_384],
    4096: [8192, 30_720],
  };
  const [lo, hi] = ranges[size.cpu] ?? [512, 30_720];
  if (size.memoryMiB < lo || size.memoryMiB > hi) {
    r.problems.push(
      `${role}MemoryMiB: Fargate allows ${lo}-${hi} MiB with ${size.cpu} CPU units, got ${size.memoryMiB}`,
    );
  }
  return size;
}

const NAME = /^[a-zA-Z][a-zA-Z0-9_.-]{0,127}$/;
const GLUE_NAME = /^[a-z][a-z0-9_]{0,254}$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
// Short enough for every name derived from it (the Redis replication group id allows 40
// characters), and hyphens only between letters or digits, as ElastiCache wants them.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$/;
const STACK_NAME_MAX = 30;

/**
 * What one consumer task holds: Amazon's MultiLangDaemon (a JVM; an allowance) plus one Node
 * processor per shard it leases (the consumer benchmark's peak on Node 24, 287 MiB). Explained in
 * docs/aws.md "Consumer capacity"; the settings check that consumerMemoryMiB holds
 * consumerShardsPerTask processors beside the JVM.
 */
export const CONSUMER_JVM_MIB = 768;
export const CONSUMER_PROCESSOR_MIB = 288;

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

function read(get: ContextReader) {
  const r = new Reader(get);
  const stackName = r.string(
    'stackName',
    'Brewstream',
    STACK_NAME,
    'a stack name (letters, digits, single hyphens)',
  );
  if (stackName.length > STACK_NAME_MAX) {
    r.problems.push(`stackName: at most ${STACK_NAME_MAX} characters, got ${stackName.length}`);
  }
  const names = defaultNames(stackName);
  const shardCount = r.int('shardCount', 2, 1, 500);
  const shardsPerTask = r.int('consumerShardsPerTask', 4, 1, 64);
  const settings = {
    stackName,
    // Names (see defaultNames)
    streamName: r.string('streamName', names.streamName, NAME, 'a Kinesis stream name'),
    applicationName: r.string('kclApplicationName', names.applicationName, NAME, 'a KCL application name'),
    glueDatabase: r.string(
      'glueDatabase',
      names.glueDatabase,
      GLUE_NAME,
      'a Glue name (lowercase, digits, _)',
    ),
    glueTable: r.string('glueTable', 'cleaned_beers', GLUE_NAME, 'a Glue name (lowercase, digits, _)'),
    cacheId: names.cacheId,
    // Stream and raw delivery. The shard count is a synth-time number, not a CloudFormation
    // parameter, because the consumer's task count is derived from it (docs/aws.md).
    shardCount,
    streamRetentionHours: r.int('streamRetentionHours', 24, 24, 8760),
    firehoseBufferSeconds: r.int('firehoseBufferSeconds', 300, 0, 900),
    rawInfrequentAccessDays: r.int('rawInfrequentAccessDays', 30, 30, 3650),
    rawExpirationDays: r.int('rawExpirationDays', 365, 31, 36_500),
    // Network and cache
    maxAzs: r.int('maxAzs', 2, 2, 6),
    natGateways: r.int('natGateways', 1, 1, 6),
    cacheNodeType: r.string(
      'cacheNodeType',
      'cache.t4g.small',
      /^cache\.[a-z0-9]+\.[a-z0-9]+$/,
      'a cache node type',
    ),
    cacheReplicas: r.int('cacheReplicas', 1, 1, 5),
    // Services (Fargate sizes in CPU units and MiB)
    server: {
      ...fargateSize(r, 'server', 1024, 2048),
      minTasks: r.int('serverMinTasks', 2, 1, 100),
      maxTasks: r.int('serverMaxTasks', 6, 1, 100),
      cpuTargetPercent: r.int('serverCpuTargetPercent', 60, 10, 90),
      requestsPerTarget: r.int('serverRequestsPerTarget', 3000, 10, 1_000_000),
    },
    consumer: {
      ...fargateSize(r, 'consumer', 1024, 2048),
      shardsPerTask,
      // One task per shardsPerTask shards; each task leases at most that many (maxLeasesForWorker),
      // so no task runs more processors than its memory was sized for (docs/aws.md).
      tasks: Math.ceil(shardCount / shardsPerTask),
      // Kinesis serves 5 GetRecords a second per shard to all readers together; Firehose takes
      // one. At 400 ms the consumer takes 2.5, leaving room for a second worker during a lease
      // hand-over.
      pollIntervalMs: r.int('consumerPollIntervalMs', 500, 400, 60_000),
    },
    trainer: fargateSize(r, 'trainer', 2048, 4096),
    // Producer (Lambda on an EventBridge schedule)
    producerIntervalMinutes: r.int('producerIntervalMinutes', 5, 1, 1440),
    producerBeersPerTick: r.int('producerBeersPerTick', 1, 1, 10_000),
    producerSource: r.string('producerSource', 'db', /^(db|api)$/, 'db or api'),
    // Access
    allowedCidr: r.string('allowedCidr', '0.0.0.0/0', CIDR, 'an IPv4 CIDR'),
    certificateArn: r.optional('certificateArn', /^arn:aws[a-z-]*:acm:/, 'an ACM certificate ARN'),
    predictRequiresKey: r.bool('predictRequiresKey', false),
    // Operations
    logRetentionDays: r.oneOfNumbers('logRetentionDays', 30, LOG_RETENTION_DAYS),
    alarmEmail: r.optional('alarmEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an email address'),
    consumerLagAlarmSeconds: r.int('consumerLagAlarmSeconds', 60, 1, 604_800),
    deadLetterAlarmCount: r.int('deadLetterAlarmCount', 1, 1, 1_000_000),
    server5xxAlarmCount: r.int('server5xxAlarmCount', 10, 1, 1_000_000),
    readThrottleAlarmCount: r.int('readThrottleAlarmCount', 10, 1, 1_000_000),
    rawFreshnessAlarmSeconds: r.int('rawFreshnessAlarmSeconds', 1800, 60, 86_400),
    cacheMemoryAlarmPercent: r.int('cacheMemoryAlarmPercent', 80, 10, 100),
  };
  const needed = CONSUMER_JVM_MIB + shardsPerTask * CONSUMER_PROCESSOR_MIB;
  if (settings.consumer.memoryMiB < needed) {
    r.problems.push(
      `consumerShardsPerTask: ${shardsPerTask} shards need ${needed} MiB per task (${CONSUMER_JVM_MIB} for the daemon, ${CONSUMER_PROCESSOR_MIB} per processor), consumerMemoryMiB is ${settings.consumer.memoryMiB}`,
    );
  }
  if (settings.rawFreshnessAlarmSeconds <= settings.firehoseBufferSeconds) {
    r.problems.push(
      `rawFreshnessAlarmSeconds: must exceed firehoseBufferSeconds (${settings.firehoseBufferSeconds}), got ${settings.rawFreshnessAlarmSeconds}`,
    );
  }
  if (settings.server.maxTasks < settings.server.minTasks) {
    r.problems.push(
      `serverMaxTasks: must be at least serverMinTasks (${settings.server.minTasks}), got ${settings.server.maxTasks}`,
    );
  }
  if (settings.rawExpirationDays <= settings.rawInfrequentAccessDays) {
    r.problems.push(
      `rawExpirationDays: must be after rawInfrequentAccessDays (${settings.rawInfrequentAccessDays}), got ${settings.rawExpirationDays}`,
    );
  }
  return { settings, problems: r.problems };
}

export type Settings = ReturnType<typeof read>['settings'];

/** Reads and checks every setting; throws one SettingsError naming each bad key. */
export function loadSettings(get: ContextReader): Settings {
  const { settings, problems } = read(get);
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}
