// What `npm run verify` checks: a deployed stack, found by its CloudFormation outputs, or the stack
// `npm start` runs, found by the outputs file it writes into its data directory. Either way a
// Target: the addresses and clients the checks use, and the lease check that differs between them
// (KCL's DynamoDB lease table on AWS, the local daemon's lease in Redis).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ConfigError } from '../../lib/errors.js';
import { LOCAL_OUTPUTS_FILE, localOutputsDocument } from '../../lib/localOutputs.js';
import { createRedis } from '../../lib/redis.js';
import { type Lease, leaseVerdict, localLeaseVerdict, stackOutputs } from './decisions.js';
import { type CheckResult, fail } from './report.js';

export interface Target {
  /** What is checked, for the report's first line. */
  description: string;
  apiUrl: string;
  /** A key for the guarded routes (POST /retrain), when there is one. */
  apiKey: string | undefined;
  streamName: string;
  cleanedBucket: string;
  kinesis: KinesisClient;
  s3: S3Client;
  recordTimeoutS: number;
  retrainTimeoutS: number;
  /** Whether the consumer holds a live lease on every open shard. */
  leases(): Promise<CheckResult>;
  /** Only on AWS: Athena and the alarm topic. */
  aws?: {
    stackName: string;
    glueDatabase: string;
    glueTable: string;
    alarmTopic: string;
    athenaOutput?: string;
    athena: AthenaClient;
    sns: SNSClient;
    cloudwatch: CloudWatchClient;
  };
  close(): Promise<void>;
}

interface Bounds {
  recordTimeoutS: number;
  retrainTimeoutS: number;
}

// Every call bounded: a part that does not answer is a failed check, not a hang. Two attempts
// (the SDK's own retries), since the checks wait for outcomes under the retry policy themselves.
const clientOptions = () => ({
  maxAttempts: 2,
  requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30_000 }),
});

/** A key given to this command (API_KEY), else the first of API_KEYS (npm start's own). */
function apiKeyFromEnvironment(env: NodeJS.ProcessEnv): string | undefined {
  const given = env.API_KEY?.trim();
  if (given) return given;
  return (
    env.API_KEYS?.split(',')
      .map((k) => k.trim())
      .find((k) => k !== '') ?? undefined
  );
}

/** The stream's open shards (those with no ending sequence number). */
export async function openShards(kinesis: KinesisClient, streamName: string): Promise<string[]> {
  const shards: string[] = [];
  let next: string | undefined;
  do {
    const page = await kinesis.send(
      next ? new ListShardsCommand({ NextToken: next }) : new ListShardsCommand({ StreamName: streamName }),
    );
    for (const shard of page.Shards ?? [])
      if (!shard.SequenceNumberRange?.EndingSequenceNumber && shard.ShardId) shards.push(shard.ShardId);
    next = page.NextToken;
  } while (next);
  return shards;
}

/**
 * The lease check: the stream's open shards, then what `verdict` makes of them; an error is a
 * failed line naming `where` (the lease table, or the local lease's key).
 */
function leaseCheck(
  kinesis: KinesisClient,
  streamName: string,
  where: string,
  verdict: (openShards: string[]) => Promise<CheckResult>,
): () => Promise<CheckResult> {
  return async () => {
    try {
      return await verdict(await openShards(kinesis, streamName));
    } catch (error) {
      return fail('consumer leases', `${where}: ${(error as Error).message}`);
    }
  };
}

// ---- npm start ----

export async function localTarget(dataDir: string, bounds: Bounds, env = process.env): Promise<Target> {
  const file = path.join(dataDir, LOCAL_OUTPUTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(
      [`${file}: not found: npm start is not running with LOCAL_DATA_DIR=${dataDir}`],
      'verify',
    );
  }
  const outputs = localOutputsDocument.parse(text, file);
  const options = {
    ...clientOptions(),
    region: outputs.region,
    credentials: outputs.standInCredentials,
  };
  const kinesis = new KinesisClient({ ...options, endpoint: outputs.kinesisEndpoint });
  const s3 = new S3Client({ ...options, endpoint: outputs.s3Endpoint, forcePathStyle: true });
  const redisUrl = new URL(outputs.redisUrl);
  if (env.REDIS_PASSWORD) redisUrl.password = env.REDIS_PASSWORD;
  // Bounded commands (lib/redis.ts): a Redis that is away is a failed check, not a wait.
  const redis = createRedis(redisUrl.toString(), { lazyConnect: true });
  return {
    description: `npm start (pid ${outputs.pid}) in ${path.resolve(dataDir)}: ${outputs.apiUrl}`,
    apiUrl: outputs.apiUrl,
    apiKey: apiKeyFromEnvironment(env),
    streamName: outputs.streamName,
    cleanedBucket: outputs.cleanedBucket,
    kinesis,
    s3,
    ...bounds,
    leases: leaseCheck(kinesis, outputs.streamName, outputs.consumerLease, async (shards) => {
      const [owner, ttl] = await Promise.all([
        redis.get(outputs.consumerLease),
        redis.pttl(outputs.consumerLease),
      ]);
      return localLeaseVerdict(outputs.consumerLease, owner, ttl, shards);
    }),
    close: async () => {
      kinesis.destroy();
      s3.destroy();
      redis.disconnect();
    },
  };
}

// ---- a deployed stack ----

export async function awsTarget(
  stackName: string,
  bounds: Bounds & { athenaOutput?: string },
  env = process.env,
): Promise<Target> {
  const cloudformation = new CloudFormationClient(clientOptions());
  let outputs: Record<string, string | undefined>;
  let region: string;
  try {
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue]));
    region = await cloudformation.config.region();
  } finally {
    cloudformation.destroy();
  }
  const found = stackOutputs(outputs);
  if (typeof found === 'string') throw new ConfigError([`${stackName}: ${found}`], 'target');
  const [glueDatabase = '', glueTable = ''] = found.GlueTable.split('.');
  const secrets = new SecretsManagerClient(clientOptions());
  let apiKey = apiKeyFromEnvironment(env);
  try {
    if (!apiKey) {
      const secret = await secrets.send(new GetSecretValueCommand({ SecretId: found.ApiKeysSecret }));
      apiKey = secret.SecretString?.split(',')[0]?.trim() || undefined;
    }
  } finally {
    secrets.destroy();
  }
  const kinesis = new KinesisClient(clientOptions());
  const s3 = new S3Client(clientOptions());
  const dynamodb = new DynamoDBClient(clientOptions());
  const aws = {
    stackName,
    glueDatabase,
    glueTable,
    alarmTopic: found.AlarmTopic,
    ...(bounds.athenaOutput ? { athenaOutput: bounds.athenaOutput } : {}),
    athena: new AthenaClient(clientOptions()),
    sns: new SNSClient(clientOptions()),
    cloudwatch: new CloudWatchClient(clientOptions()),
  };
  const scanLeases = async (): Promise<Lease[]> => {
    const leases: Lease[] = [];
    for await (const page of paginateScan(
      { client: dynamodb },
      { TableName: found.KclApplication, ConsistentRead: true },
    )) {
      for (const item of page.Items ?? [])
        leases.push({
          leaseKey: item.leaseKey?.S ?? '',
          leaseOwner: item.leaseOwner?.S,
          leaseCounter: Number(item.leaseCounter?.N ?? 0),
          checkpoint: item.checkpoint?.S,
        });
    }
    return leases;
  };
  return {
    description: `stack ${stackName} in ${region}: ${found.ApiUrl}`,
    apiUrl: found.ApiUrl,
    apiKey,
    streamName: found.StreamName,
    cleanedBucket: found.CleanedBucket,
    kinesis,
    s3,
    ...bounds,
    // Two scans a lease period apart (failoverTimeMillis, 10 s, in consumer.properties): a worker
    // renews each lease it holds several times in that span.
    leases: leaseCheck(kinesis, found.StreamName, found.KclApplication, async (shards) => {
      const before = await scanLeases();
      const started = performance.now();
      await new Promise((resolve) => setTimeout(resolve, LEASE_PERIOD_MS + 2000));
      const after = await scanLeases();
      return leaseVerdict(shards, before, after, (performance.now() - started) / 1000);
    }),
    aws,
    close: async () => {
      for (const client of [kinesis, s3, dynamodb, aws.athena, aws.sns, aws.cloudwatch]) client.destroy();
    },
  };
}

/** consumers/amazon/consumer.properties' failoverTimeMillis. */
const LEASE_PERIOD_MS = 10_000;
