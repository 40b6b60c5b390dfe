// Every setting comes from an environment variable, is parsed and validated once, and a bad
// value stops the process with one message that names each bad variable and what is wrong.
// Roles read the sections they need; defaults suit `npm start` on one machine.

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function isOneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return allowed.some((option) => option === value);
}

/** Collects problems while reading variables so all of them are reported at once. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      this.problems.push(`${name}: expected a whole number, got "${value}"`);
      return fallback;
    }
    const n = Number(value);
    if (n < min || n > max) {
      this.problems.push(`${name}: must be between ${min} and ${max}, got ${n}`);
      return fallback;
    }
    return n;
  }

  number(name: string, fallback: number, min: number, max = Number.MAX_VALUE): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n)) {
      this.problems.push(`${name}: expected a number, got "${value}"`);
      return fallback;
    }
    if (n < min || n > max) {
      this.problems.push(`${name}: must be between ${min} and ${max}, got ${n}`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name}: expected true or false, got "${value}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!isOneOf(allowed, value)) {
      this.problems.push(`${name}: must be one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return value;
  }

  url(name: string, fallback: string | undefined, protocols: string[]): string | undefined {
    const value = this.raw(name) ?? fallback;
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name}: protocol must be ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      }
      return value;
    } catch {
      this.problems.push(`${name}: not a valid URL: "${value}"`);
      return fallback;
    }
  }

  list(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  bucket(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    // S3's own naming rule; a bad name would otherwise surface as an opaque SDK error later.
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) {
      this.problems.push(
        `${name}: "${value}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)`,
      );
    }
    return value;
  }
}

/**
 * On AWS the Redis AUTH token comes from Secrets Manager as its own variable (ECS injects secrets
 * one value per variable), so it is merged into the URL here rather than composed by hand.
 */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = password; // the URL setter percent-encodes what needs it
  return parsed.toString();
}

function read(env: Env) {
  const r = new Reader(env);
  const config = {
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    aws: {
      region: r.string('AWS_REGION', env.AWS_DEFAULT_REGION ?? 'us-east-1'),
      // Read by the SDK itself; kept here only so clients can tell a local stand-in is in use.
      kinesisEndpoint: r.url('AWS_ENDPOINT_URL_KINESIS', undefined, ['http:', 'https:']),
      s3Endpoint: r.url('AWS_ENDPOINT_URL_S3', undefined, ['http:', 'https:']),
    },
    streamName: r.string('STREAM_NAME', 'beers'),
    buckets: {
      raw: r.bucket('RAW_BUCKET', 'raw'),
      cleaned: r.bucket('CLEANED_BUCKET', 'cleaned'),
      models: r.bucket('MODELS_BUCKET', 'models'),
    },
    redisUrl: withPassword(
      r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']) as string,
      r.optionalString('REDIS_PASSWORD'),
    ),
    // BullMQ's key prefix; tests give each run its own so they can share one Redis.
    queuePrefix: r.string('QUEUE_PREFIX', 'bull'),
    local: {
      dataDir: r.string('LOCAL_DATA_DIR', '.brewstream'),
      shardCount: r.int('SHARD_COUNT', 2, 1, 64),
      kinesisPort: r.int('KINESIS_PORT', 4567, 0, 65535),
      s3Port: r.int('S3_PORT', 4569, 0, 65535),
    },
    producer: {
      source: r.oneOf('PUNK_SOURCE', 'db', ['db', 'api']),
      apiUrl: r.url('PUNK_API_URL', 'https://api.punkapi.com/v2/beers/random', ['http:', 'https:']) as string,
      intervalS: r.number('PRODUCER_INTERVAL_S', 300, 0.1),
      beersPerTick: r.int('PRODUCER_BEERS_PER_TICK', 1, 1, 10_000),
      maxAttempts: r.int('PRODUCER_MAX_ATTEMPTS', 8, 1, 100),
      baseBackoffMs: r.int('PRODUCER_BASE_BACKOFF_MS', 100, 1, 60_000),
    },
    consumer: {
      applicationName: r.string('KCL_APPLICATION_NAME', 'brewstream-cleaned'),
      batchMaxRecords: r.int('BATCH_MAX_RECORDS', 10_000, 1, 1_000_000),
      batchMaxBytes: r.int('BATCH_MAX_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      batchMaxAgeMs: r.int('BATCH_MAX_AGE_MS', 1000, 1, 3_600_000),
      maxRecordBytes: r.int('MAX_RECORD_BYTES', 256 * 1024, 64, 1024 * 1024),
      pollIntervalMs: r.int('KCL_POLL_INTERVAL_MS', 200, 10, 60_000),
      maxRecordsPerPoll: r.int('KCL_MAX_RECORDS', 10_000, 1, 10_000),
      // Amazon's daemon only (maxLeasesForWorker); KCL's own default is no limit.
      maxLeasesPerWorker: r.int('KCL_MAX_LEASES_PER_WORKER', 2_147_483_647, 1, 2_147_483_647),
      // `local`: our daemon (dev, tests); `amazon`: Amazon's MultiLangDaemon, java run by consumers/amazon (AWS).
      daemon: r.oneOf('KCL_DAEMON', 'local', ['local', 'amazon']),
      processorCommand: r.optionalString('KCL_PROCESSOR_COMMAND'),
      leaseTtlMs: r.int('KCL_LEASE_TTL_MS', 10_000, 500, 600_000),
      shardSyncMs: r.int('KCL_SHARD_SYNC_MS', 5000, 50, 600_000),
    },
    trainer: {
      seed: r.int('TRAIN_SEED', 42, 0),
      maxEpochs: r.int('TRAIN_MAX_EPOCHS', 300, 1, 100_000),
      patience: r.int('TRAIN_PATIENCE', 30, 1, 100_000),
      scheduleEvery: r.optionalString('RETRAIN_SCHEDULE'),
      backend: r.oneOf('TFJS_BACKEND', 'auto', ['auto', 'tensorflow', 'wasm', 'cpu']),
    },
    server: {
      host: r.string('HOST', '127.0.0.1'),
      port: r.int('PORT', 3000, 0, 65535),
      apiKeys: r.list('API_KEYS'),
      predictRequiresKey: r.bool('PREDICT_REQUIRES_KEY', false),
      predictBatchMax: r.int('PREDICT_BATCH_MAX', 256, 1, 100_000),
      rateLimitPerMinute: r.int('RATE_LIMIT_PER_MINUTE', 600_000, 1),
      // Proxies in front of the server whose X-Forwarded-For entry is believed (1 behind the ALB);
      // 0 trusts none, so a client cannot name its own address.
      trustProxy: r.int('TRUST_PROXY', 0, 0, 10),
      championPollMs: r.int('CHAMPION_POLL_MS', 30_000, 100),
    },
  };
  return { config, problems: r.problems };
}

export type Config = ReturnType<typeof read>['config'];

/** Reads and validates every setting; throws one ConfigError listing all bad variables. */
export function loadConfig(env: Env = process.env): Config {
  const { config, problems } = read(env);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
