// IAM, tested against the calls each role's code makes: every row below is one AWS request a role
// sends (service, action, resource, request context), evaluated with an offline IAM policy
// simulator (@cloud-copilot/iam-simulate) against the policies the synthesised template attaches
// to that role, and the bucket's own policy for S3. Allow rows are what the code needs; Deny rows
// are what a role must not be able to do. To follow a new call in the code, add a row.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, cdkJsonContext } from '../../infra/app.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped
type Json = Record<string, any>;

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

type Role = 'consumer' | 'trainer' | 'server' | 'producer' | 'serviceLinkedRoles';

interface Call {
  role: Role;
  /** What the code does, for the test name. */
  call: string;
  service: 's3' | 'kinesis' | 'dynamodb' | 'cloudwatch' | 'iam' | 'secretsmanager';
  action: string;
  resource: string;
  /** Request context the action carries (s3:prefix for a listing, the namespace for metrics). */
  context?: Record<string, string>;
  expect: 'Allow' | 'Deny';
}

let outdir: string;
let resources: Record<string, Json>;
/** Each role's identity policies, with every CloudFormation reference resolved to a concrete ARN. */
const policies = {} as Record<Role, Json[]>;
/** Bucket name → its bucket policy, resolved. */
const bucketPolicies = new Map<string, Json>();
const names = { cleaned: '', models: '', raw: '', stream: '', leaseTable: '' };
/** The alarm topic's ARN, its policy and its key's policy, resolved. */
const alarms = { topic: '', topicPolicy: {} as Json, key: '', keyPolicy: {} as Json };
const secrets = { apiKeys: '', session: '', redisToken: '' };

// --- resolving the template's references into the concrete names of one imagined deployment
function physicalName(id: string): string {
  const r = resources[id];
  if (!r) return `unresolved-${id}`;
  const p = r.Properties ?? {};
  switch (r.Type) {
    case 'AWS::S3::Bucket':
      return `${id.toLowerCase()}-bucket`;
    case 'AWS::Kinesis::Stream':
      return p.Name;
    case 'AWS::DynamoDB::Table':
      return p.TableName;
    case 'AWS::Logs::LogGroup':
      return p.LogGroupName ?? `${id}-group`;
    // A topic's Ref is its ARN.
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
    case 'AWS::SecretsManager::Secret':
      // A secret's Ref is its ARN, which ends in a random suffix.
      return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`;
    default:
      return id;
  }
}

function arnOf(id: string): string {
  const r = resources[id];
  const name = physicalName(id);
  switch (r?.Type) {
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    case 'AWS::Kinesis::Stream':
      return `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`;
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
    default:
      return `arn:aws:unresolved:${REGION}:${ACCOUNT}:${id}`;
  }
}

const pseudo: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const v = value as Json;
  if ('Ref' in v) return pseudo[v.Ref] ?? physicalName(v.Ref);
  if ('Fn::GetAtt' in v) {
    const [id, attribute] = v['Fn::GetAtt'];
    return attribute === 'Arn' ? arnOf(id) : `${id}.${attribute}`;
  }
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'];
    return (resolve(parts) as string[]).join(separator);
  }
  if ('Fn::Sub' in v && typeof v['Fn::Sub'] === 'string')
    return v['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_: string, k: string) => pseudo[k] ?? physicalName(k));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
}

function find(type: string, prefix: string): [string, Json] {
  const found = Object.entries(resources).find(([id, r]) => r.Type === type && id.startsWith(prefix));
  assert.ok(found, `no ${type} ${prefix}`);
  return found;
}

function roleOfContainer(name: string): string {
  const task = Object.values(resources).find(
    (r) => r.Type === 'AWS::ECS::TaskDefinition' && r.Properties.ContainerDefinitions[0].Name === name,
  );
  assert.ok(task, `no ${name} task`);
  return task.Properties.TaskRoleArn['Fn::GetAtt'][0];
}

function policiesOfRole(roleId: string): Json[] {
  const attached = Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as Json[]).some((ref) => ref.Ref === roleId),
    )
    .map((r) => r.Properties.PolicyDocument);
  const inline = (resources[roleId]?.Properties.Policies ?? []).map((p: Json) => p.PolicyDocument);
  return [...attached, ...inline].map((document) => resolve(document) as Json);
}

before(() => {
  outdir = mkdtempSync(path.join(os.tmpdir(), 'brewstream-iam-'));
  // A production context: with a certificate (the defaults have none, and refuse keys over HTTP).
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
      'aws:cdk:bundling-stacks': [],
    },
  });
  const { stack } = buildApp(app, { account: ACCOUNT, region: REGION });
  app.synth();
  resources = Template.fromStack(stack).toJSON().Resources;
  policies.consumer = policiesOfRole(roleOfContainer('consumer'));
  policies.trainer = policiesOfRole(roleOfContainer('trainer'));
  policies.server = policiesOfRole(roleOfContainer('server'));
  policies.producer = policiesOfRole(
    find('AWS::Lambda::Function', 'Producer')[1].Properties.Role['Fn::GetAtt'][0],
  );
  // The function behind the Custom::ServiceLinkedRole resources.
  const slr = find('Custom::ServiceLinkedRole', 'ServiceLinkedRoles')[1].Properties.ServiceToken[
    'Fn::GetAtt'
  ][0];
  policies.serviceLinkedRoles = policiesOfRole(resources[slr]?.Properties.Role['Fn::GetAtt'][0]);
  const [topicId] = find('AWS::SNS::Topic', 'MonitoringAlarms');
  alarms.topic = physicalName(topicId);
  alarms.topicPolicy = resolve(
    find('AWS::SNS::TopicPolicy', 'MonitoringAlarms')[1].Properties.PolicyDocument,
  ) as Json;
  const [keyId, key] = find('AWS::KMS::Key', 'MonitoringTopicKey');
  alarms.key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
  alarms.keyPolicy = resolve(key.Properties.KeyPolicy) as Json;
  names.cleaned = physicalName(find('AWS::S3::Bucket', 'StorageCleaned')[0]);
  names.models = physicalName(find('AWS::S3::Bucket', 'StorageModels')[0]);
  names.raw = physicalName(find('AWS::S3::Bucket', 'StorageRaw')[0]);
  names.stream = physicalName(find('AWS::Kinesis::Stream', 'Stream')[0]);
  names.leaseTable = physicalName(find('AWS::DynamoDB::Table', 'ServicesLeaseTable')[0]);
  secrets.apiKeys = physicalName(find('AWS::SecretsManager::Secret', 'ServicesApiKeys')[0]);
  secrets.session = physicalName(find('AWS::SecretsManager::Secret', 'ServicesSessionSecret')[0]);
  secrets.redisToken = physicalName(find('AWS::SecretsManager::Secret', 'CacheAuthToken')[0]);
  for (const r of Object.values(resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy'))
    bucketPolicies.set(resolve(r.Properties.Bucket) as string, resolve(r.Properties.PolicyDocument) as Json);
});

after(() => rmSync(outdir, { recursive: true, force: true }));

/** The simulator's verdict on one request by one role, with the identity policies given. */
async function simulate(
  role: Role,
  action: string,
  resource: string,
  context: Record<string, string> = {},
  identity: Json[] = policies[role],
): Promise<'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied'> {
  const bucket = action.startsWith('s3:') ? /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1] : undefined;
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/brewstream-${role}`,
        action,
        resource: { resource, accountId: ACCOUNT },
        // Every client here speaks TLS; the buckets deny anything else.
        contextVariables: { 'aws:SecureTransport': 'true', ...context },
      },
      identityPolicies: identity.map((policy, i) => ({ name: `${role}-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: bucket ? bucketPolicies.get(bucket) : undefined,
    },
    {},
  );
  assert.notEqual(result.resultType, 'error', JSON.stringify(result));
  return (result as { overallResult: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' }).overallResult;
}

/** The verdict on a request an AWS service principal makes, on a resource with its own policy only. */
async function simulateService(
  service: string,
  action: string,
  resource: string,
  context: Record<string, string>,
  resourcePolicy: Json,
): Promise<'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied'> {
  const result = await runSimulation(
    {
      request: {
        principal: service,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    },
    {},
  );
  assert.notEqual(result.resultType, 'error', JSON.stringify(result));
  return (result as { overallResult: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' }).overallResult;
}

/**
 * What S3 answers a GET (or HEAD) of a key that does not exist: 404 to a caller that may
 * GetObject the key and s3:ListBucket the bucket, 403 otherwise. S3 checks ListBucket with the
 * GetObject request, which carries no s3:prefix.
 */
async function missingKeyStatus(role: Role, bucket: string, key: string, identity = policies[role]) {
  const get = await simulate(role, 's3:GetObject', `arn:aws:s3:::${bucket}/${key}`, {}, identity);
  const list = await simulate(role, 's3:ListBucket', `arn:aws:s3:::${bucket}`, {}, identity);
  return get === 'Allowed' && list === 'Allowed' ? 404 : 403;
}

// --- the calls, one row each (as the code will be once the parallel S3 branches land)
const obj = (bucket: keyof typeof names, key: string) => () => `arn:aws:s3:::${names[bucket]}/${key}`;
const bucketArn = (bucket: keyof typeof names) => () => `arn:aws:s3:::${names[bucket]}`;
const streamArn = () => `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${names.stream}`;
const tableArn = () => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${names.leaseTable}`;
const ROW =
  'rows/dt=2026-11-30/shardId-000000000000/49590338271490256608559692538361571095921575989136588800-49590338271490256608559692538361571095921575989136588900.csv';

type Row = Omit<Call, 'resource'> & { resource: () => string };
const CALLS: Row[] = [
  // The cleaned processor, under Amazon's MultiLangDaemon (consumer task role).
  {
    role: 'consumer',
    call: 'write a batch object (conditional put, If-None-Match)',
    service: 's3',
    action: 'PutObject',
    resource: obj('cleaned', ROW),
    expect: 'Allow',
  },
  {
    role: 'consumer',
    call: 'HEAD a batch object before a rewrite',
    service: 's3',
    action: 'GetObject',
    resource: obj('cleaned', ROW),
    expect: 'Allow',
  },
  {
    role: 'consumer',
    call: 'list for the object a replayed batch must align with',
    service: 's3',
    action: 'ListBucket',
    resource: bucketArn('cleaned'),
    context: {
      's3:prefix':
        'rows/dt=2026-11-30/shardId-000000000000/49590338271490256608559692538361571095921575989136588800-',
    },
    expect: 'Allow',
  },
  {
    role: 'consumer',
    call: 'write a dead letter',
    service: 's3',
    action: 'PutObject',
    resource: obj('cleaned', 'rejected/dt=2026-11-30/shardId-000000000000/4959.json'),
    expect: 'Allow',
  },
  {
    role: 'consumer',
    call: 'abort a multipart upload of a large batch',
    service: 's3',
    action: 'AbortMultipartUpload',
    resource: obj('cleaned', ROW),
    expect: 'Allow',
  },
  // KCL 2.7.2 in polling mode (retrievalMode = POLLING).
  {
    role: 'consumer',
    call: 'KCL: list the shards',
    service: 'kinesis',
    action: 'ListShards',
    resource: streamArn,
    expect: 'Allow',
  },
  {
    role: 'consumer',
    call: 'KCL: get a shard iterator',
    service: 'kinesis',
    action: 'GetShardIterator',
    resource: streamArn,
    expect: 'Allow',
  },
  {
    role: 'consumer',
    call: 'KCL: get records',
    service: 'kinesis',
    action: 'GetRecords',
    resource: streamArn,
    expect: 'Allow',
  },
  ...['DescribeTable', 'Scan', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map(
    (action): Row => ({
      role: 'consumer',
      call: `KCL: lease table ${action}`,
      service: 'dynamodb',
      action,
      resource: tableArn,
      expect: 'Allow',
    }),
  ),
  {
    role: 'consumer',
    call: "KCL: publish metrics in the application's namespace",
    service: 'cloudwatch',
    action: 'PutMetricData',
    resource: () => '*',
    context: { 'cloudwatch:namespace': 'brewstream-cleaned' },
    expect: 'Allow',
  },
  // Trainer.
  {
    role: 'trainer',
    call: 'read a batch object',
    service: 's3',
    action: 'GetObject',
    resource: obj('cleaned', ROW),
    expect: 'Allow',
  },
  {
    role: 'trainer',
    call: 'list the table',
    service: 's3',
    action: 'ListBucket',
    resource: bucketArn('cleaned'),
    context: { 's3:prefix': 'rows/' },
    expect: 'Allow',
  },
  {
    role: 'trainer',
    call: 'read a table snapshot',
    service: 's3',
    action: 'GetObject',
    resource: obj('cleaned', 'snapshots/table.csv'),
    expect: 'Allow',
  },
  {
    role: 'trainer',
    call: 'write a table snapshot',
    service: 's3',
    action: 'PutObject',
    resource: obj('cleaned', 'snapshots/table.csv'),
    expect: 'Allow',
  },
  {
    role: 'trainer',
    call: 'delete an old snapshot',
    service: 's3',
    action: 'DeleteObject',
    resource: obj('cleaned', 'snapshots/table-old.csv'),
    expect: 'Allow',
  },
  {
    role: 'trainer',
    call: 'read a model artifact',
    service: 's3',
    action: 'GetObject',
    resource: obj('models', 'models/ibu/20261130T120000000Z-abcdef/model.json'),
    expect: 'Allow',
  },
  {
    role: 'trainer',
    call: 'write a model artifact',
    service: 's3',
    action: 'PutObject',
    resource: obj('models', 'models/ibu/20261130T120000000Z-abcdef/weights.bin'),
    expect: 'Allow',
  },
  {
    role: 'trainer',
    call: 'abort a multipart upload of large weights',
    service: 's3',
    action: 'AbortMultipartUpload',
    resource: obj('models', 'models/ibu/20261130T120000000Z-abcdef/weights.bin'),
    expect: 'Allow',
  },
  {
    role: 'trainer',
    call: 'promote (write champion.json)',
    service: 's3',
    action: 'PutObject',
    resource: obj('models', 'models/ibu/champion.json'),
    expect: 'Allow',
  },
  {
    role: 'trainer',
    call: 'list the registry',
    service: 's3',
    action: 'ListBucket',
    resource: bucketArn('models'),
    context: { 's3:prefix': 'models/' },
    expect: 'Allow',
  },
  // Server.
  {
    role: 'server',
    call: 'read champion.json',
    service: 's3',
    action: 'GetObject',
    resource: obj('models', 'models/ibu/champion.json'),
    expect: 'Allow',
  },
  {
    role: 'server',
    call: 'list the model versions',
    service: 's3',
    action: 'ListBucket',
    resource: bucketArn('models'),
    context: { 's3:prefix': 'models/ibu/' },
    expect: 'Allow',
  },
  {
    role: 'server',
    call: '/table: list the rows',
    service: 's3',
    action: 'ListBucket',
    resource: bucketArn('cleaned'),
    context: { 's3:prefix': 'rows/' },
    expect: 'Allow',
  },
  {
    role: 'server',
    call: '/table: read a batch object',
    service: 's3',
    action: 'GetObject',
    resource: obj('cleaned', ROW),
    expect: 'Allow',
  },
  {
    role: 'server',
    call: '/table: read a snapshot',
    service: 's3',
    action: 'GetObject',
    resource: obj('cleaned', 'snapshots/table.csv'),
    expect: 'Allow',
  },
  {
    role: 'server',
    call: 'write an inference log object',
    service: 's3',
    action: 'PutObject',
    resource: obj('cleaned', 'predictions/dt=2026-11-30/ip-10-0-1-2-a1b2c3/000000000001-000000005000.jsonl'),
    expect: 'Allow',
  },
  {
    role: 'server',
    call: 'abort an inference log upload (lib-storage goes multipart above 5 MiB)',
    service: 's3',
    action: 'AbortMultipartUpload',
    resource: obj('cleaned', 'predictions/dt=2026-11-30/i/000000000001-000000100000.jsonl'),
    expect: 'Allow',
  },
  {
    role: 'server',
    call: 'read the API keys (API_KEYS_SECRET_ARN), at start and every refresh',
    service: 'secretsmanager',
    action: 'GetSecretValue',
    resource: () => secrets.apiKeys,
    expect: 'Allow',
  },
  // Producer.
  {
    role: 'producer',
    call: 'put a batch of beers',
    service: 'kinesis',
    action: 'PutRecords',
    resource: streamArn,
    expect: 'Allow',
  },
  {
    role: 'producer',
    call: 'put one beer',
    service: 'kinesis',
    action: 'PutRecord',
    resource: streamArn,
    expect: 'Allow',
  },
  // The custom resource that makes sure ECS's service-linked roles exist.
  ...(
    [
      ['ecs.amazonaws.com', 'AWSServiceRoleForECS'],
      ['ecs.application-autoscaling.amazonaws.com', 'AWSServiceRoleForApplicationAutoScaling_ECSService'],
    ] as const
  ).map(
    ([service, name]): Row => ({
      role: 'serviceLinkedRoles',
      call: `create ${name}`,
      service: 'iam',
      action: 'CreateServiceLinkedRole',
      resource: () => `arn:aws:iam::${ACCOUNT}:role/aws-service-role/${service}/${name}`,
      context: { 'iam:AWSServiceName': service },
      expect: 'Allow',
    }),
  ),

  // What each role must not do.
  {
    role: 'server',
    call: 'write a model',
    service: 's3',
    action: 'PutObject',
    resource: obj('models', 'models/ibu/champion.json'),
    expect: 'Deny',
  },
  {
    role: 'server',
    call: 'write a cleaned row',
    service: 's3',
    action: 'PutObject',
    resource: obj('cleaned', ROW),
    expect: 'Deny',
  },
  {
    role: 'server',
    call: 'read back an inference log object',
    service: 's3',
    action: 'GetObject',
    resource: obj('cleaned', 'predictions/dt=2026-11-30/i/000000000001-000000000002.jsonl'),
    expect: 'Deny',
  },
  {
    role: 'server',
    call: 'delete an inference log object',
    service: 's3',
    action: 'DeleteObject',
    resource: obj('cleaned', 'predictions/dt=2026-11-30/i/000000000001-000000000002.jsonl'),
    expect: 'Deny',
  },
  {
    role: 'server',
    call: 'write a snapshot',
    service: 's3',
    action: 'PutObject',
    resource: obj('cleaned', 'snapshots/0000000001/manifest.json'),
    expect: 'Deny',
  },
  {
    role: 'trainer',
    call: 'write an inference log object',
    service: 's3',
    action: 'PutObject',
    resource: obj('cleaned', 'predictions/dt=2026-11-30/i/000000000001-000000000002.jsonl'),
    expect: 'Deny',
  },
  {
    role: 'server',
    call: 'read a dead letter',
    service: 's3',
    action: 'GetObject',
    resource: obj('cleaned', 'rejected/dt=2026-11-30/x/1.json'),
    expect: 'Deny',
  },
  {
    role: 'trainer',
    call: 'write a cleaned row',
    service: 's3',
    action: 'PutObject',
    resource: obj('cleaned', ROW),
    expect: 'Deny',
  },
  {
    role: 'trainer',
    call: 'delete a cleaned row',
    service: 's3',
    action: 'DeleteObject',
    resource: obj('cleaned', ROW),
    expect: 'Deny',
  },
  {
    role: 'trainer',
    call: 'delete a model',
    service: 's3',
    action: 'DeleteObject',
    resource: obj('models', 'models/ibu/champion.json'),
    expect: 'Deny',
  },
  {
    role: 'trainer',
    call: 'read a raw record',
    service: 's3',
    action: 'GetObject',
    resource: obj('raw', '2026/11/30/12/x.jsonl.gz'),
    expect: 'Deny',
  },
  {
    role: 'consumer',
    call: 'delete a cleaned row',
    service: 's3',
    action: 'DeleteObject',
    resource: obj('cleaned', ROW),
    expect: 'Deny',
  },
  {
    role: 'consumer',
    call: 'read a model',
    service: 's3',
    action: 'GetObject',
    resource: obj('models', 'models/ibu/champion.json'),
    expect: 'Deny',
  },
  {
    role: 'consumer',
    call: 'put records on the stream',
    service: 'kinesis',
    action: 'PutRecords',
    resource: streamArn,
    expect: 'Deny',
  },
  {
    role: 'consumer',
    call: 'create the lease table',
    service: 'dynamodb',
    action: 'CreateTable',
    resource: tableArn,
    expect: 'Deny',
  },
  {
    role: 'consumer',
    call: 'publish metrics in another namespace',
    service: 'cloudwatch',
    action: 'PutMetricData',
    resource: () => '*',
    context: { 'cloudwatch:namespace': 'AWS/Kinesis' },
    expect: 'Deny',
  },
  {
    role: 'producer',
    call: 'read the stream',
    service: 'kinesis',
    action: 'GetRecords',
    resource: streamArn,
    expect: 'Deny',
  },
  {
    role: 'producer',
    call: 'put on another stream',
    service: 'kinesis',
    action: 'PutRecords',
    resource: () => `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/other`,
    expect: 'Deny',
  },
  {
    role: 'serviceLinkedRoles',
    call: "create another service's role",
    service: 'iam',
    action: 'CreateServiceLinkedRole',
    resource: () =>
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache`,
    context: { 'iam:AWSServiceName': 'elasticache.amazonaws.com' },
    expect: 'Deny',
  },
  {
    role: 'serviceLinkedRoles',
    call: 'create an ordinary role',
    service: 'iam',
    action: 'CreateRole',
    resource: () => `arn:aws:iam::${ACCOUNT}:role/anything`,
    expect: 'Deny',
  },
  // The API keys secret, and only it, is the server's to read: not the secrets ECS injects at start
  // (the session secret, the Redis token), not to change, not for the other roles.
  ...(
    [
      ['server', 'GetSecretValue', () => secrets.session, 'read the session secret (ECS injects it)'],
      ['server', 'GetSecretValue', () => secrets.redisToken, 'read the Redis token (ECS injects it)'],
      [
        'server',
        'GetSecretValue',
        () => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:someone-elses-AbCdEf`,
        'read another secret',
      ],
      ['server', 'PutSecretValue', () => secrets.apiKeys, 'change the API keys'],
      ['server', 'DescribeSecret', () => secrets.apiKeys, 'describe the API keys secret'],
      ['consumer', 'GetSecretValue', () => secrets.apiKeys, 'read the API keys'],
      ['trainer', 'GetSecretValue', () => secrets.apiKeys, 'read the API keys'],
    ] as const
  ).map(
    ([role, action, resource, call]): Row => ({
      role,
      call,
      service: 'secretsmanager',
      action,
      resource,
      expect: 'Deny',
    }),
  ),
  ...(['consumer', 'trainer', 'server'] as const).flatMap((role): Row[] => [
    {
      role,
      call: 'read from a foreign bucket',
      service: 's3',
      action: 'GetObject',
      resource: () => 'arn:aws:s3:::someone-elses-bucket/models/ibu/champion.json',
      expect: 'Deny',
    },
    {
      role,
      call: 'list a foreign bucket',
      service: 's3',
      action: 'ListBucket',
      resource: () => 'arn:aws:s3:::someone-elses-bucket',
      expect: 'Deny',
    },
  ]),
];

describe('IAM: every call each role makes', () => {
  for (const row of CALLS) {
    const action = `${row.service}:${row.action}`;
    test(`${row.role}: ${row.call} (${action}) → ${row.expect}`, async () => {
      const verdict = await simulate(row.role, action, row.resource(), row.context);
      assert.equal(
        verdict === 'Allowed' ? 'Allow' : 'Deny',
        row.expect,
        `${action} on ${row.resource()}: ${verdict}`,
      );
    });
  }

  test('the table covers every action each role is granted', () => {
    const granted = (role: Role) =>
      new Set(
        policies[role].flatMap((p) =>
          [p.Statement]
            .flat()
            .filter((s: Json) => s.Effect === 'Allow')
            .flatMap((s: Json) => [s.Action].flat()),
        ),
      );
    for (const role of ['consumer', 'trainer', 'server', 'producer', 'serviceLinkedRoles'] as const) {
      const exercised = new Set(
        CALLS.filter((c) => c.role === role && c.expect === 'Allow').map((c) => `${c.service}:${c.action}`),
      );
      // logs: the producer's own log group, written by the Lambda runtime, not by our code.
      const unexercised = [...granted(role)].filter((a) => !exercised.has(a) && !a.startsWith('logs:'));
      assert.deepEqual(unexercised, [], `${role} is granted actions no call uses`);
    }
  });
});

describe('IAM: CloudWatch alarms can notify through the alarm topic, only alarms of this account', () => {
  const OTHER = '210987654321';
  /** The request context of a call CloudWatch makes for an alarm of `account`, over TLS unless told. */
  const fromAccount = (account: string, tls = true) => ({
    'aws:SecureTransport': String(tls),
    'aws:SourceAccount': account,
    'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${account}:alarm:brewstream-ConsumerLag`,
  });
  /** sns:Publish to the alarm topic by `service`, against the topic policy (or another one). */
  const publish = (
    context: Record<string, string>,
    service = 'cloudwatch.amazonaws.com',
    policy = alarms.topicPolicy,
  ) => simulateService(service, 'sns:Publish', alarms.topic, context, policy);

  test('an alarm of this account publishes to the topic (sns:Publish) → Allow', async () => {
    assert.equal(await publish(fromAccount(ACCOUNT)), 'Allowed');
  });

  test("another account's alarm publishes to the topic (the confused deputy) → Deny", async () => {
    assert.notEqual(await publish(fromAccount(OTHER)), 'Allowed');
  });

  test('publishing without TLS, or as another service, → Deny', async () => {
    assert.equal(await publish(fromAccount(ACCOUNT, false)), 'ExplicitlyDenied');
    assert.notEqual(await publish(fromAccount(ACCOUNT), 'events.amazonaws.com'), 'Allowed');
  });

  test("CloudWatch may use the topic's key for this account's alarms only (kms:GenerateDataKey, kms:Decrypt)", async () => {
    const useKey = (action: string, account: string) =>
      simulateService('cloudwatch.amazonaws.com', action, alarms.key, fromAccount(account), alarms.keyPolicy);
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      assert.equal(await useKey(action, ACCOUNT), 'Allowed', action);
      assert.notEqual(await useKey(action, OTHER), 'Allowed', action);
    }
  });

  test('the policy as it was, a lone TLS deny, leaves CloudWatch implicitly denied', async () => {
    const denyOnly = {
      ...alarms.topicPolicy,
      Statement: [alarms.topicPolicy.Statement].flat().filter((st: Json) => st.Effect === 'Deny'),
    };
    assert.equal(
      await publish(fromAccount(ACCOUNT), 'cloudwatch.amazonaws.com', denyOnly),
      'ImplicitlyDenied',
    );
  });
});

describe('IAM: a key that does not exist answers 404, not 403', () => {
  test('the server and the trainer get 404 for a missing champion.json', async () => {
    assert.equal(await missingKeyStatus('server', names.models, 'models/ibu/champion.json'), 404);
    assert.equal(await missingKeyStatus('trainer', names.models, 'models/ibu/champion.json'), 404);
  });

  test('missing snapshots and batch objects are 404 to the roles that read them', async () => {
    assert.equal(await missingKeyStatus('trainer', names.cleaned, 'snapshots/table.csv'), 404);
    assert.equal(await missingKeyStatus('server', names.cleaned, 'snapshots/table.csv'), 404);
    assert.equal(await missingKeyStatus('consumer', names.cleaned, ROW), 404);
  });

  test('with ListBucket limited by an s3:prefix condition, the same read is a 403', async () => {
    // The grant as it was: ListBucket only under StringLike s3:prefix. It still allows the
    // listing, but a GetObject request has no s3:prefix, so S3 answers a missing key with 403.
    const prefixed = policies.server.map((document) => ({
      ...document,
      Statement: [document.Statement]
        .flat()
        .map((s: Json) =>
          [s.Action].flat().includes('s3:ListBucket')
            ? { ...s, Condition: { StringLike: { 's3:prefix': ['models/*', 'rows/*', 'snapshots/*'] } } }
            : s,
        ),
    }));
    assert.equal(
      await simulate(
        'server',
        's3:ListBucket',
        `arn:aws:s3:::${names.models}`,
        { 's3:prefix': 'models/ibu/' },
        prefixed,
      ),
      'Allowed',
    );
    assert.equal(await missingKeyStatus('server', names.models, 'models/ibu/champion.json', prefixed), 403);
  });
});
