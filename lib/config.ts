// Every setting comes from an environment variable, is parsed and validated once, and a bad
// value stops the process with one message that names each bad variable and what is wrong.
// Roles read the sections they need; defaults suit `npm start` on one machine.
import { type Static, Type } from 'typebox';
import { ConfigError } from './errors.js';
import { Integer, type SettingSource, settingsReader } from './settingsReader.js';

type Env = Record<string, string | undefined>;

const BOOLEANS = new Map([
  ...['1', 'true', 'yes', 'on'].map((word) => [word, true] as const),
  ...['0', 'false', 'no', 'off'].map((word) => [word, false] as const),
]);

/** Variables are text, trimmed; a blank one is unset. */
function environment(env: Env) {
  return {
    name: 'configuration',
    value: (key: string) => env[key]?.trim() || undefined,
    boolean: (text: string) => BOOLEANS.get(text.toLowerCase()),
  } satisfies SettingSource;
}

/** A URL with one of `protocols`, refused here rather than by a client that fails later. */
function Url(key: string, protocols: string[], fallback?: string) {
  return Type.Refine(
    Type.Refine(
      Type.String({ key, default: fallback }),
      (value) => URL.canParse(value),
      (value) => `not a valid URL: ${JSON.stringify(value)}`,
    ),
    (value) => !URL.canParse(value) || protocols.includes(new URL(value).protocol),
    (value) => `protocol must be ${protocols.join(' or ')}, got "${new URL(value).protocol}"`,
  );
}

const HTTP = ['http:', 'https:'];

// S3's own naming rule; a bad name would otherwise surface as an opaque SDK error later.
function Bucket(key: string, fallback: string) {
  return Type.String({
    key,
    default: fallback,
    pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    what: 'a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
  });
}

function Port(key: string, fallback: number) {
  return Integer(key, fallback, 0, 65535);
}

const ConfigSchema = Type.Object({
  logLevel: Type.Enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
    key: 'LOG_LEVEL',
    default: 'info',
  }),
  aws: Type.Object({
    // Its default is AWS_DEFAULT_REGION, as for the SDK (see loadConfig).
    region: Type.String({ key: 'AWS_REGION', default: 'us-east-1' }),
    // Read by the SDK itself; kept here only so clients can tell a local stand-in is in use.
    kinesisEndpoint: Type.Optional(Url('AWS_ENDPOINT_URL_KINESIS', HTTP)),
    s3Endpoint: Type.Optional(Url('AWS_ENDPOINT_URL_S3', HTTP)),
  }),
  streamName: Type.String({ key: 'STREAM_NAME', default: 'beers' }),
  buckets: Type.Object({
    raw: Bucket('RAW_BUCKET', 'raw'),
    cleaned: Bucket('CLEANED_BUCKET', 'cleaned'),
    models: Bucket('MODELS_BUCKET', 'models'),
  }),
  // REDIS_PASSWORD, when set, is merged into it (see loadConfig).
  redisUrl: Url('REDIS_URL', ['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  // BullMQ's key prefix; tests give each run its own so they can share one Redis.
  queuePrefix: Type.String({ key: 'QUEUE_PREFIX', default: 'bull' }),
  local: Type.Object({
    dataDir: Type.String({ key: 'LOCAL_DATA_DIR', default: '.brewstream' }),
    shardCount: Integer('SHARD_COUNT', 2, 1, 64),
    kinesisPort: Port('KINESIS_PORT', 4567),
    s3Port: Port('S3_PORT', 4569),
  }),
  producer: Type.Object({
    source: Type.Enum(['db', 'api'], { key: 'PUNK_SOURCE', default: 'db' }),
    apiUrl: Url('PUNK_API_URL', HTTP, 'https://api.punkapi.com/v2/beers/random'),
    intervalS: Type.Number({ key: 'PRODUCER_INTERVAL_S', default: 300, minimum: 0.1 }),
    beersPerTick: Integer('PRODUCER_BEERS_PER_TICK', 1, 1, 10_000),
    maxAttempts: Integer('PRODUCER_MAX_ATTEMPTS', 8, 1, 100),
    baseBackoffMs: Integer('PRODUCER_BASE_BACKOFF_MS', 100, 1, 60_000),
  }),
  consumer: Type.Object({
    applicationName: Type.String({ key: 'KCL_APPLICATION_NAME', default: 'brewstream-cleaned' }),
    batchMaxRecords: Integer('BATCH_MAX_RECORDS', 10_000, 1, 1_000_000),
    batchMaxBytes: Integer('BATCH_MAX_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    batchMaxAgeMs: Integer('BATCH_MAX_AGE_MS', 1000, 1, 3_600_000),
    maxRecordBytes: Integer('MAX_RECORD_BYTES', 256 * 1024, 64, 1024 * 1024),
    pollIntervalMs: Integer('KCL_POLL_INTERVAL_MS', 200, 10, 60_000),
    maxRecordsPerPoll: Integer('KCL_MAX_RECORDS', 10_000, 1, 10_000),
    // Amazon's daemon only (maxLeasesForWorker); KCL's own default is no limit.
    maxLeasesPerWorker: Integer('KCL_MAX_LEASES_PER_WORKER', 2_147_483_647, 1, 2_147_483_647),
    // `local`: our daemon (dev, tests); `amazon`: Amazon's MultiLangDaemon, java run by consumers/amazon (AWS).
    daemon: Type.Enum(['local', 'amazon'], { key: 'KCL_DAEMON', default: 'local' }),
    processorCommand: Type.Optional(Type.String({ key: 'KCL_PROCESSOR_COMMAND' })),
    leaseTtlMs: Integer('KCL_LEASE_TTL_MS', 10_000, 500, 600_000),
    shardSyncMs: Integer('KCL_SHARD_SYNC_MS', 5000, 50, 600_000),
  }),
  trainer: Type.Object({
    seed: Integer('TRAIN_SEED', 42, 0),
    maxEpochs: Integer('TRAIN_MAX_EPOCHS', 300, 1, 100_000),
    patience: Integer('TRAIN_PATIENCE', 30, 1, 100_000),
    // The training set's cap (trainer/sample.ts): a larger table gives one row per recipe group,
    // this many groups at most, recent ones favoured with this half-life. Memory and time per
    // retrain follow the cap, not the table (docs/design.md "Training set").
    maxRows: Integer('TRAIN_MAX_ROWS', 100_000, 100, 10_000_000),
    recencyHalfLifeDays: Type.Number({
      key: 'TRAIN_RECENCY_HALF_LIFE_DAYS',
      default: 90,
      minimum: 1,
      maximum: 36_500,
    }),
    // A new-data retrain starts no sooner than this after the last retrain started (lib/retrainCadence.ts).
    minIntervalS: Integer('RETRAIN_MIN_INTERVAL_S', 300, 0, 86_400),
    scheduleEvery: Type.Optional(Type.String({ key: 'RETRAIN_SCHEDULE' })),
    backend: Type.Enum(['auto', 'tensorflow', 'wasm', 'cpu'], { key: 'TFJS_BACKEND', default: 'auto' }),
  }),
  server: Type.Object({
    host: Type.String({ key: 'HOST', default: '127.0.0.1' }),
    port: Port('PORT', 3000),
    apiKeys: Type.Array(Type.String(), { key: 'API_KEYS', default: [] }),
    // When set, the keys come from this secret (server/secretKeys.ts) and API_KEYS is ignored.
    apiKeysSecretArn: Type.Optional(
      Type.String({
        key: 'API_KEYS_SECRET_ARN',
        pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/,
        what: 'a Secrets Manager secret ARN',
      }),
    ),
    apiKeysRefreshS: Integer('API_KEYS_REFRESH_S', 300, 1, 86_400),
    // Signs the dashboard's session cookie; every server task behind one load balancer needs the
    // same one. Unset: a random secret per process (sessions end with it).
    sessionSecret: Type.Optional(Type.String({ key: 'SESSION_SECRET', minLength: 32 })),
    sessionTtlS: Integer('SESSION_TTL_S', 28_800, 60, 604_800),
    predictRequiresKey: Type.Boolean({ key: 'PREDICT_REQUIRES_KEY', default: false }),
    predictBatchMax: Integer('PREDICT_BATCH_MAX', 256, 1, 100_000),
    rateLimitPerMinute: Integer('RATE_LIMIT_PER_MINUTE', 600_000, 1),
    // The whole request, headers and body, must arrive within requestTimeoutMs; a socket on which
    // nothing moves for connectionTimeoutMs while a request is read or answered is closed (above
    // the ALB's 60 s idle timeout, so behind it the ALB gives up first).
    requestTimeoutMs: Integer('REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    connectionTimeoutMs: Integer('CONNECTION_TIMEOUT_MS', 65_000, 100, 600_000),
    // Proxies in front of the server whose X-Forwarded-For entry is believed (1 behind the ALB);
    // 0 trusts none, so a client cannot name its own address.
    trustProxy: Integer('TRUST_PROXY', 0, 0, 10),
    championPollMs: Integer('CHAMPION_POLL_MS', 30_000, 100),
  }),
  // The server's inference log (docs/design.md "Inference log") and the drift check over it.
  inferenceLog: Type.Object({
    enabled: Type.Boolean({ key: 'INFERENCE_LOG', default: true }),
    // An object is written once this many rows wait, or once the oldest has waited flushMs.
    flushRows: Integer('INFERENCE_LOG_FLUSH_ROWS', 5000, 1, 1_000_000),
    flushMs: Integer('INFERENCE_LOG_FLUSH_MS', 60_000, 50, 3_600_000),
    // Rows held while S3 cannot take them; past it the oldest are dropped (counted, warned).
    maxRows: Integer('INFERENCE_LOG_MAX_ROWS', 100_000, 1, 10_000_000),
    // The most recent rows kept in memory for /predictions/recent and the drift window.
    windowRows: Integer('INFERENCE_LOG_WINDOW_ROWS', 5000, 1, 1_000_000),
  }),
  drift: Type.Object({
    psiThreshold: Type.Number({ key: 'DRIFT_PSI_THRESHOLD', default: 0.2, minimum: 0.001, maximum: 100 }),
    // Fewer rows in the window than this are never drift.
    minRows: Integer('DRIFT_MIN_ROWS', 500, 1),
    checkMs: Integer('DRIFT_CHECK_MS', 60_000, 50, 86_400_000),
  }),
});

export type Config = Static<typeof ConfigSchema>;

const reader = settingsReader(ConfigSchema);

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

/** Reads and validates every setting; throws one ConfigError listing all bad variables. */
export function loadConfig(env: Env = process.env): Config {
  const source = environment(env);
  const { value, problems } = reader.read(source, { AWS_REGION: source.value('AWS_DEFAULT_REGION') });
  if (problems.length > 0) throw new ConfigError(problems, source.name);
  return Object.freeze({ ...value, redisUrl: withPassword(value.redisUrl, source.value('REDIS_PASSWORD')) });
}
