// Assertions on the synthesised template: every part of the pipeline exists with the properties
// that matter, IAM stays narrow, and cdk-nag's AWS Solutions checks pass. The synth is the real one
// (cdk-nag plugged in, the producer bundled by esbuild), into a temporary cloud assembly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { propertiesTemplate } from '../consumers/amazon/properties.js';
import { CLEANED_COLUMNS } from '../lib/beer.js';
import { buildApp, cdkJsonContext } from './app.js';
import { DEPENDENCY_UNAVAILABLE_PATTERN, SERVER_5XX_PATTERN } from './constructs/monitoring.js';
import { SERVICE_LINKED_ROLES } from './constructs/serviceLinkedRoles.js';
import { ROLE_COMMANDS } from './constructs/services.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped
type Json = Record<string, any>;

const ENV = { account: '123456789012', region: 'eu-west-1' };
let outdir: string;
let template: Template;
let resources: Record<string, Json>;

/**
 * Synthesises with cdk.json's context (defaults and feature flags), as `cdk synth` does, plus
 * `context`; without a certificate, as a trial (allowKeysOverHttp), since the defaults have none.
 */
function synth(context: Record<string, unknown> = {}, dir?: string) {
  const app = new App({
    outdir: dir ?? mkdtempSync(path.join(os.tmpdir(), 'cdk-')),
    context: { ...cdkJsonContext(), allowKeysOverHttp: true, ...context },
  });
  const { stack } = buildApp(app, ENV);
  app.synth();
  return { app, stack, template: Template.fromStack(stack) };
}

function ofType(type: string): [string, Json][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

function one(type: string): Json {
  const found = ofType(type);
  assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
  return (found[0] as [string, Json])[1].Properties;
}

before(() => {
  outdir = mkdtempSync(path.join(os.tmpdir(), 'brewstream-cdk-'));
  template = synth({}, outdir).template;
  resources = template.toJSON().Resources;
});

after(() => rmSync(outdir, { recursive: true, force: true }));

describe('stream and raw delivery', () => {
  test('the stream is encrypted, named after the stack, and has the shardCount context value', () => {
    const stream = one('AWS::Kinesis::Stream');
    assert.equal(stream.Name, 'brewstream-beers');
    assert.deepEqual(stream.StreamEncryption, { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    assert.equal(stream.ShardCount, 2);
    // A synth-time number (the consumer's task count follows it), not a CloudFormation parameter.
    assert.equal(template.toJSON().Parameters?.ShardCount, undefined);
  });

  test('Firehose reads the stream and writes newline-delimited records to the raw bucket by hour', () => {
    const delivery = one('AWS::KinesisFirehose::DeliveryStream');
    assert.equal(delivery.DeliveryStreamType, 'KinesisStreamAsSource');
    const [streamId] = ofType('AWS::Kinesis::Stream')[0] as [string, Json];
    assert.deepEqual(delivery.KinesisStreamSourceConfiguration.KinesisStreamARN, {
      'Fn::GetAtt': [streamId, 'Arn'],
    });
    const destination = delivery.ExtendedS3DestinationConfiguration;
    assert.deepEqual(destination.BucketARN, { 'Fn::GetAtt': [bucketId('Raw'), 'Arn'] });
    assert.equal(destination.Prefix, '!{timestamp:yyyy/MM/dd/HH}/');
    assert.equal(destination.BufferingHints.IntervalInSeconds, 300);
    assert.deepEqual(
      destination.ProcessingConfiguration.Processors.map((p: Json) => p.Type),
      ['AppendDelimiterToRecord'],
    );
    assert.equal(destination.CloudWatchLoggingOptions.Enabled, true);
  });
});

function bucketId(name: string): string {
  const found = ofType('AWS::S3::Bucket').find(([id]) => id.startsWith(`Storage${name}`));
  assert.ok(found, `no ${name} bucket`);
  return found[0];
}

describe('buckets and the Glue table', () => {
  test('every bucket blocks public access, is encrypted, and refuses plain HTTP', () => {
    const buckets = ofType('AWS::S3::Bucket');
    assert.equal(buckets.length, 4); // raw, cleaned, models, access logs
    for (const [id, bucket] of buckets) {
      const p = bucket.Properties;
      assert.deepEqual(
        p.PublicAccessBlockConfiguration,
        {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        id,
      );
      assert.ok(p.BucketEncryption.ServerSideEncryptionConfiguration.length > 0, id);
      const policy = ofType('AWS::S3::BucketPolicy').find(([, r]) => r.Properties.Bucket.Ref === id);
      assert.ok(policy, `${id} has no bucket policy`);
      const statements: Json[] = policy[1].Properties.PolicyDocument.Statement;
      assert.ok(
        statements.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
        `${id} allows plain HTTP`,
      );
    }
  });

  test('the raw bucket moves to infrequent access and then expires', () => {
    const rule = resources[bucketId('Raw')]?.Properties.LifecycleConfiguration.Rules[0];
    assert.equal(rule.Transitions[0].StorageClass, 'STANDARD_IA');
    assert.equal(rule.Transitions[0].TransitionInDays, 30);
    assert.equal(rule.ExpirationInDays, 365);
  });

  test('the Glue table declares the CSV as it is: the cleaned columns in order, all strings, projection on dt', () => {
    const input = glueTable('cleaned_beers_csv');
    const sd = input.StorageDescriptor;
    assert.deepEqual(
      sd.Columns.map((c: Json) => c.Name),
      [...CLEANED_COLUMNS],
    );
    // OpenCSVSerde fails a numeric column on an empty field (the CSV's null): strings only.
    assert.deepEqual(new Set(sd.Columns.map((c: Json) => c.Type)), new Set(['string']));
    assert.deepEqual(sd.Location, { 'Fn::Join': ['', ['s3://', { Ref: bucketId('Cleaned') }, '/rows/']] });
    assert.equal(sd.SerdeInfo.SerializationLibrary, 'org.apache.hadoop.hive.serde2.OpenCSVSerde');
    assert.deepEqual(input.PartitionKeys, [{ Name: 'dt', Type: 'string' }]);
    assert.equal(input.Parameters['projection.enabled'], 'true');
    assert.equal(input.Parameters['projection.dt.type'], 'date');
    assert.equal(input.Parameters['projection.dt.format'], 'yyyy-MM-dd');
    assert.equal(input.Parameters['skip.header.line.count'], '1');
    // SSE-S3 buckets: true would tell Athena to expect client-side encryption.
    assert.equal(String(input.Parameters.has_encrypted_data), 'false');
    assert.deepEqual(input.Parameters['storage.location.template'], {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholder, not a JS template
      'Fn::Join': ['', ['s3://', { Ref: bucketId('Cleaned') }, '/rows/dt=${dt}/']],
    });
  });

  test('the inference log table reads predictions/ as JSON lines, projected on dt', () => {
    const input = glueTable('predictions');
    const sd = input.StorageDescriptor;
    assert.deepEqual(
      sd.Columns.map((c: Json) => [c.Name, c.Type]),
      [
        ['seq', 'bigint'],
        ['time', 'string'],
        ['requestid', 'string'],
        ['version', 'string'],
        ['inputs', 'struct<abv:double,target_fg:double,target_og:double,ebc:double,srm:double,ph:double>'],
        ['features', 'struct<abv:double,target_fg:double,target_og:double,ebc:double,srm:double,ph:double>'],
        ['ibu', 'double'],
        ['band', 'string'],
        ['latencyms', 'double'],
        ['keydigest', 'string'],
        ['instance', 'string'],
      ],
    );
    assert.deepEqual(sd.Location, {
      'Fn::Join': ['', ['s3://', { Ref: bucketId('Cleaned') }, '/predictions/']],
    });
    assert.equal(sd.SerdeInfo.SerializationLibrary, 'org.openx.data.jsonserde.JsonSerDe');
    assert.deepEqual(input.PartitionKeys, [{ Name: 'dt', Type: 'string' }]);
    assert.equal(input.Parameters['projection.enabled'], 'true');
    assert.equal(input.Parameters['projection.dt.type'], 'date');
    assert.equal(input.Parameters['projection.dt.format'], 'yyyy-MM-dd');
    assert.deepEqual(input.Parameters['storage.location.template'], {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholder, not a JS template
      'Fn::Join': ['', ['s3://', { Ref: bucketId('Cleaned') }, '/predictions/dt=${dt}/']],
    });
  });

  test('two Athena views type it: every arrival (_history) and one row per beer (the table name)', () => {
    const views = glueTables().filter((t) => t.TableType === 'VIRTUAL_VIEW');
    assert.deepEqual(views.map((v) => v.Name).sort(), ['cleaned_beers', 'cleaned_beers_history']);
    for (const view of views) {
      assert.equal(view.Parameters.presto_view, 'true');
      const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(view.ViewOriginalText)?.[1];
      assert.ok(encoded, `${view.Name}: original text is a Presto view`);
      const definition = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
      assert.equal(definition.schema, 'brewstream');
      assert.match(definition.originalSql, /FROM "brewstream"\."cleaned_beers_csv"/);
      // The catalog's columns and the view's are the same list, typed for the data.
      assert.deepEqual(
        definition.columns.map((c: Json) => c.name),
        view.StorageDescriptor.Columns.map((c: Json) => c.Name),
      );
      const types = Object.fromEntries(view.StorageDescriptor.Columns.map((c: Json) => [c.Name, c.Type]));
      assert.equal(types.id, 'bigint');
      assert.equal(types.ibu, 'double');
      assert.equal(types.name, 'string');
      assert.equal(types.dt, 'string');
    }
  });
});

function glueTables(): Json[] {
  return ofType('AWS::Glue::Table').map(([, r]) => r.Properties.TableInput);
}

function glueTable(name: string): Json {
  const found = glueTables().find((t) => t.Name === name);
  assert.ok(found, `no Glue table ${name}`);
  return found;
}

describe('services', () => {
  const container = (role: string): Json => {
    const found = ofType('AWS::ECS::TaskDefinition')
      .map(([, r]) => r.Properties.ContainerDefinitions[0])
      .find((c: Json) => c.Name === role);
    assert.ok(found, `no ${role} container`);
    return found;
  };
  const env = (c: Json) => Object.fromEntries(c.Environment.map((e: Json) => [e.Name, e.Value]));

  test('consumer, trainer and server run on Fargate from one image, each with its role as command', () => {
    assert.equal(ofType('AWS::ECS::Service').length, 3);
    for (const [, service] of ofType('AWS::ECS::Service'))
      assert.equal(service.Properties.LaunchType, 'FARGATE');
    const images = new Set<string>();
    for (const [role, command] of Object.entries(ROLE_COMMANDS)) {
      const c = container(role);
      assert.deepEqual(c.Command, command);
      images.add(JSON.stringify(c.Image));
      assert.ok(
        c.Secrets.some((s: Json) => s.Name === 'REDIS_PASSWORD'),
        `${role} has no Redis token`,
      );
      assert.match(env(c).REDIS_URL['Fn::Join'][1][0], /^rediss:\/\//);
    }
    assert.deepEqual(ROLE_COMMANDS.consumer, ['consumer', 'cleaned']);
    assert.equal(images.size, 1);
  });

  test("the consumer runs Amazon's MultiLangDaemon with its own lease table and polls under the shard limit", () => {
    const e = env(container('consumer'));
    assert.equal(e.KCL_DAEMON, 'amazon');
    assert.equal(e.KCL_APPLICATION_NAME, 'brewstream-cleaned');
    assert.equal(e.KCL_POLL_INTERVAL_MS, '500');
    assert.equal(e.KCL_MAX_LEASES_PER_WORKER, '4');
    const table = one('AWS::DynamoDB::Table');
    assert.equal(table.TableName, 'brewstream-cleaned');
    assert.deepEqual(table.KeySchema, [{ AttributeName: 'leaseKey', KeyType: 'HASH' }]);
    // 2 shards at 4 per task: one task.
    assert.equal(service('Consumer').DesiredCount, 1);
  });

  test('every container runs under an init process on a read-only root, writing only to a /tmp volume', () => {
    for (const [, task] of ofType('AWS::ECS::TaskDefinition')) {
      const c = task.Properties.ContainerDefinitions[0];
      assert.equal(c.ReadonlyRootFilesystem, true, c.Name);
      assert.equal(c.LinuxParameters.InitProcessEnabled, true, c.Name);
      assert.deepEqual(c.MountPoints, [{ ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'tmp' }]);
      assert.deepEqual(task.Properties.Volumes, [{ Name: 'tmp' }]);
    }
    const health = container('server').HealthCheck;
    assert.equal(health.Command[0], 'CMD');
    assert.match(health.Command.join(' '), /http:\/\/127\.0\.0\.1:3000\/health/);
  });

  test('the server reads its API keys from Secrets Manager itself and sits behind the ALB, healthy on /ready', () => {
    const server = container('server');
    const secretId = (part: string) =>
      (ofType('AWS::SecretsManager::Secret').find(([id]) => id.includes(part)) as [string, Json])[0];
    // The secret's ARN, not its value: the server re-reads it while it runs (keys without restarts).
    assert.deepEqual(env(server).API_KEYS_SECRET_ARN, { Ref: secretId('ApiKeys') });
    assert.equal(
      server.Secrets.find((s: Json) => s.Name === 'API_KEYS'),
      undefined,
    );
    // Every task signs and checks dashboard sessions with the same secret.
    const session = server.Secrets.find((s: Json) => s.Name === 'SESSION_SECRET');
    assert.deepEqual(session.ValueFrom, { Ref: secretId('SessionSecret') });
    assert.equal(env(server).HOST, '0.0.0.0');
    assert.equal(env(server).RATE_LIMIT_PER_MINUTE, '600');
    // Behind one proxy, the ALB.
    assert.equal(env(server).TRUST_PROXY, '1');
    // A production limit per client and task, not the local default of 600,000.
    assert.equal(env(server).RATE_LIMIT_PER_MINUTE, '600');
    const targetGroup = one('AWS::ElasticLoadBalancingV2::TargetGroup');
    assert.equal(targetGroup.HealthCheckPath, '/ready');
    assert.equal(targetGroup.Matcher.HttpCode, '200');
    assert.equal(targetGroup.Port, 3000);
    const alb = one('AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.equal(alb.Scheme, 'internet-facing');
    const attributes = Object.fromEntries(alb.LoadBalancerAttributes.map((a: Json) => [a.Key, a.Value]));
    assert.equal(attributes['access_logs.s3.enabled'], 'true');
    const listener = one('AWS::ElasticLoadBalancingV2::Listener');
    assert.equal(listener.Port, 80);
    assert.deepEqual(listener.DefaultActions, [
      {
        Type: 'forward',
        TargetGroupArn: { Ref: ofType('AWS::ElasticLoadBalancingV2::TargetGroup')[0]?.[0] },
      },
    ]);
  });

  test('the server scales on CPU and on requests per target, and the template sets no task count for it', () => {
    const target = one('AWS::ApplicationAutoScaling::ScalableTarget');
    assert.equal(target.MinCapacity, 2);
    assert.equal(target.MaxCapacity, 6);
    // CloudFormation would put a template DesiredCount back on every update of the service.
    assert.equal(service('Server').DesiredCount, undefined);
    assert.equal(service('Consumer').DesiredCount, 1);
    assert.equal(service('Trainer').DesiredCount, 1);
    const metrics = ofType('AWS::ApplicationAutoScaling::ScalingPolicy').map(
      ([, r]) =>
        r.Properties.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification
          .PredefinedMetricType,
    );
    assert.deepEqual(metrics.sort(), ['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
  });

  test('Redis is private, encrypted, token-protected, never evicts, and open only to the three services', () => {
    const redis = one('AWS::ElastiCache::ReplicationGroup');
    assert.equal(redis.TransitEncryptionEnabled, true);
    assert.equal(redis.AtRestEncryptionEnabled, true);
    assert.equal(redis.MultiAZEnabled, true);
    assert.match(JSON.stringify(redis.AuthToken), /resolve:secretsmanager/);
    assert.equal(one('AWS::ElastiCache::ParameterGroup').Properties['maxmemory-policy'], 'noeviction');
    const [redisSg] = ofType('AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('Cache')) as [
      string,
      Json,
    ];
    const ingress = ofType('AWS::EC2::SecurityGroupIngress')
      .map(([, r]) => r.Properties)
      .filter((p) => p.GroupId['Fn::GetAtt']?.[0] === redisSg);
    const sources: string[] = ingress.map((p) => p.SourceSecurityGroupId['Fn::GetAtt'][0]);
    for (const role of ['Consumer', 'Trainer', 'Server']) {
      assert.ok(
        sources.some((id) => id.startsWith(`Services${role}ServiceSecurityGroup`)),
        role,
      );
    }
    assert.equal(sources.length, 3);
    assert.equal(resources[redisSg]?.Properties.SecurityGroupIngress, undefined);
  });
});

describe('producer', () => {
  test('a Lambda on the latest Node runtime, on an EventBridge schedule every 5 minutes', () => {
    const fn = producerFunction();
    assert.equal(fn.Runtime, 'nodejs24.x');
    assert.equal(fn.Handler, 'index.handler');
    assert.equal(fn.Environment.Variables.PUNK_SOURCE, 'db');
    const [, schedule] = ofType('AWS::Events::Rule').find(([id]) => id.startsWith('ProducerSchedule')) as [
      string,
      Json,
    ];
    const rule = schedule.Properties;
    assert.equal(rule.ScheduleExpression, 'rate(5 minutes)');
    const [fnId] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('Producer')) as [
      string,
      Json,
    ];
    assert.deepEqual(rule.Targets[0].Arn, { 'Fn::GetAtt': [fnId, 'Arn'] });
  });

  test('reserves no concurrency (a new account with a quota of 10 refuses any reservation)', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function'))
      assert.equal(fn.Properties.ReservedConcurrentExecutions, undefined, id);
  });
});

function producerFunction(): Json {
  const found = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('Producer'));
  assert.equal(found.length, 1);
  return (found[0] as [string, Json])[1].Properties;
}

function service(role: string): Json {
  const found = ofType('AWS::ECS::Service').find(([id]) => id.startsWith(`Services${role}Service`));
  assert.ok(found, `no ${role} service`);
  return found[1].Properties;
}

describe('operations', () => {
  test('every log group keeps logs for the configured retention', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    assert.ok(groups.length >= 6); // consumer, trainer, server, producer, Firehose, VPC flow logs
    for (const [id, group] of groups) assert.equal(group.Properties.RetentionInDays, 30, id);
    for (const role of ['consumer', 'trainer', 'server', 'producer']) {
      assert.ok(
        groups.some(([, g]) => g.Properties.LogGroupName === `/brewstream/Brewstream/${role}`),
        `no log group for ${role}`,
      );
    }
  });

  test('one alarm per failure an operator must act on, each notifying the one topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const metricsOf = (a: Json): Json[] =>
      a.Metrics
        ? a.Metrics.filter((m: Json) => m.MetricStat).map((m: Json) => ({
            namespace: m.MetricStat.Metric.Namespace,
            name: m.MetricStat.Metric.MetricName,
            dimensions: m.MetricStat.Metric.Dimensions,
          }))
        : [{ namespace: a.Namespace, name: a.MetricName, dimensions: a.Dimensions }];
    const byMetric = (name: string) => {
      const found = alarms.filter((a) => metricsOf(a).some((m) => m.name === name));
      assert.equal(found.length, 1, `one alarm on ${name}`);
      return found[0] as Json;
    };
    // The consumer's own lag, for the whole application; no data means no consumer.
    const lag = byMetric('MillisBehindLatest');
    assert.equal(lag.Namespace, 'brewstream-cleaned');
    assert.deepEqual(lag.Dimensions, [{ Name: 'Operation', Value: 'ApplicationTracker' }]);
    assert.equal(lag.TreatMissingData, 'breaching');
    assert.equal(lag.Threshold, 60_000);
    // Running below desired: the consumer's and the trainer's.
    const taskAlarms = alarms.filter((a) => metricsOf(a).some((m) => m.name === 'RunningTaskCount'));
    assert.equal(taskAlarms.length, 2);
    for (const a of taskAlarms) {
      assert.ok(metricsOf(a).some((m) => m.name === 'DesiredTaskCount'));
      assert.match(JSON.stringify(a.Metrics), /desired - running/);
    }
    byMetric('ReadProvisionedThroughputExceeded');
    byMetric('DeliveryToS3.DataFreshness');
    const memory = byMetric('DatabaseMemoryUsagePercentage');
    // Every node of the replication group, by the node ids ElastiCache derives from its id.
    assert.deepEqual(
      metricsOf(memory).map((m) => m.dimensions[0].Value),
      ['brewstream-redis-001', 'brewstream-redis-002'],
    );
    assert.equal(one('AWS::ElastiCache::ReplicationGroup').ReplicationGroupId, 'brewstream-redis');
    byMetric('UnHealthyHostCount');
    byMetric('DeadLetters');
    byMetric('TrainerJobFailures');
    const server5xx = byMetric('Server5xx');
    assert.ok(metricsOf(server5xx).some((m) => m.name === 'HTTPCode_ELB_5XX_Count'));
    // The target's own 5xx count includes the expected no-model 503s: the alarm does not use it.
    assert.ok(!alarms.some((a) => metricsOf(a).some((m) => m.name === 'HTTPCode_Target_5XX_Count')));
    byMetric('Errors');
    // Nothing watches the stream-level iterator age, which Firehose keeps fresh.
    assert.ok(!alarms.some((a) => metricsOf(a).some((m) => m.name === 'GetRecords.IteratorAgeMilliseconds')));
    byMetric('ExpiredLeases');
    byMetric('MatchedEvents');
    // Drift lines for an hour (12 periods of 5 minutes), not one passing check.
    const drift = byMetric('InputDrift');
    assert.equal(drift.EvaluationPeriods, 12);
    assert.equal(drift.Threshold, 1);
    assert.equal(drift.TreatMissingData, 'notBreaching');
    assert.equal(alarms.length, 15);
    const [topicId] = ofType('AWS::SNS::Topic')[0] as [string, Json];
    for (const alarm of alarms) assert.deepEqual(alarm.AlarmActions, [{ Ref: topicId }]);
  });

  test("a shard nobody reads alarms on KCL's ExpiredLeases, in the dimensions the daemon is told to publish", () => {
    const alarm = ofType('AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .find((a) => a.MetricName === 'ExpiredLeases') as Json;
    assert.equal(alarm.Namespace, 'brewstream-cleaned');
    assert.deepEqual(alarm.Dimensions, [{ Name: 'Operation', Value: 'TakeLeases' }]);
    assert.equal(alarm.Statistic, 'Maximum');
    assert.equal(alarm.Threshold, 1);
    assert.equal(alarm.EvaluationPeriods, 10);
    // A metric is stored per set of dimensions: with WorkerIdentifier on, the alarm's series
    // (Operation only) would never receive a value. The daemon's properties turn it off.
    const properties = readFileSync(propertiesTemplate, 'utf8');
    const enabled = /^metricsEnabledDimensions = (.+)$/m.exec(properties)?.[1]?.split(',') ?? [];
    assert.ok(!enabled.includes('WorkerIdentifier'), enabled.join(','));
    for (const dimension of alarm.Dimensions as Json[]) assert.ok(enabled.includes(dimension.Name));
    assert.match(properties, /^metricsLevel = SUMMARY$/m);
    // KCL publishes ExpiredLeases at SUMMARY; DETAILED-only metrics would be dropped.
  });

  test('a task that stops with a non-zero exit, or never starts, is an event the TaskCrashes alarm counts', () => {
    const [ruleId, rule] = ofType('AWS::Events::Rule').find(([id]) =>
      id.startsWith('MonitoringTaskCrash'),
    ) as [string, Json];
    const pattern = rule.Properties.EventPattern;
    assert.deepEqual(pattern.source, ['aws.ecs']);
    assert.deepEqual(pattern['detail-type'], ['ECS Task State Change']);
    const [clusterId] = ofType('AWS::ECS::Cluster')[0] as [string, Json];
    assert.deepEqual(pattern.detail.clusterArn, [{ 'Fn::GetAtt': [clusterId, 'Arn'] }]);
    assert.deepEqual(pattern.detail.lastStatus, ['STOPPED']);
    assert.deepEqual(pattern.detail.$or, [
      { containers: { exitCode: [{ 'anything-but': 0 }] } },
      { stopCode: ['TaskFailedToStart'] },
    ]);
    const alarm = ofType('AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .find((a) => a.MetricName === 'MatchedEvents') as Json;
    assert.equal(alarm.Namespace, 'AWS/Events');
    assert.deepEqual(alarm.Dimensions, [{ Name: 'RuleName', Value: { Ref: ruleId } }]);
    assert.equal(alarm.Statistic, 'Sum');
    assert.equal(alarm.Threshold, 1);
    // Each event is kept: the rule writes it to a log group whose resource policy lets this rule in.
    const [groupId, group] = ofType('AWS::Logs::LogGroup').find(
      ([, g]) => g.Properties.LogGroupName === '/aws/events/brewstream/Brewstream/task-crashes',
    ) as [string, Json];
    assert.ok(group);
    assert.deepEqual(rule.Properties.Targets[0].Arn, { 'Fn::GetAtt': [groupId, 'Arn'] });
    const policy = JSON.stringify(one('AWS::Logs::ResourcePolicy').PolicyDocument);
    assert.match(policy, /events\.amazonaws\.com/);
    assert.match(policy, new RegExp(`"Fn::GetAtt":\\["${ruleId}","Arn"\\]`));
  });

  test('CloudWatch may publish to the alarm topic and use its key, for alarms of this account only', () => {
    const topicPolicy = one('AWS::SNS::TopicPolicy').PolicyDocument.Statement as Json[];
    const allow = topicPolicy.find((st) => st.Effect === 'Allow') as Json;
    assert.deepEqual(allow.Principal, { Service: 'cloudwatch.amazonaws.com' });
    assert.equal(allow.Action, 'sns:Publish');
    assert.deepEqual(allow.Condition, {
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*' },
    });
    // enforceSSL's deny stays.
    assert.ok(
      topicPolicy.some(
        (st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      ),
    );
    const keyPolicy = one('AWS::KMS::Key').KeyPolicy.Statement as Json[];
    const cloudwatch = keyPolicy.filter((st) =>
      JSON.stringify(st.Principal).includes('cloudwatch.amazonaws.com'),
    );
    assert.equal(cloudwatch.length, 1);
    assert.deepEqual(cloudwatch[0]?.Condition, allow.Condition);
    assert.deepEqual([cloudwatch[0]?.Action].flat().sort(), ['kms:Decrypt', 'kms:GenerateDataKey*']);
  });

  test('the log metric filters count dead letters, failed jobs, server faults and dependency outages apart', () => {
    const filters = Object.fromEntries(
      ofType('AWS::Logs::MetricFilter').map(([, r]) => [
        r.Properties.MetricTransformations[0].MetricName,
        r.Properties.FilterPattern,
      ]),
    );
    // In the stack's own namespace: a second stack's filters must not feed this one's alarms.
    for (const [, r] of ofType('AWS::Logs::MetricFilter'))
      assert.equal(r.Properties.MetricTransformations[0].MetricNamespace, 'Brewstream/Brewstream');
    assert.deepEqual(filters, {
      DeadLetters: '{ $.deadLetter IS TRUE }',
      TrainerJobFailures: '{ $.jobFailed IS TRUE }',
      Server5xx: SERVER_5XX_PATTERN.logPatternString,
      ServerDependencyUnavailable: DEPENDENCY_UNAVAILABLE_PATTERN.logPatternString,
      InputDrift: '{ $.drift IS TRUE }',
    });
    assert.equal(
      SERVER_5XX_PATTERN.logPatternString,
      '{ ($.msg = "request") && ($.status >= 500) && (($.error NOT EXISTS) || (($.error != "not_ready") && ($.error != "unavailable"))) }',
    );
    assert.equal(
      DEPENDENCY_UNAVAILABLE_PATTERN.logPatternString,
      '{ ($.msg = "request") && ($.error = "unavailable") }',
    );
  });
});

describe('IAM', () => {
  const statements = (): { where: string; statement: Json }[] =>
    Object.entries(resources).flatMap(([id, r]) => {
      const documents: Json[] =
        r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy'
          ? [r.Properties.PolicyDocument]
          : r.Type === 'AWS::IAM::Role'
            ? (r.Properties.Policies ?? []).map((p: Json) => p.PolicyDocument)
            : [];
      return documents.flatMap((d) =>
        [d.Statement].flat().map((statement: Json) => ({ where: id, statement })),
      );
    });
  const list = (v: unknown): unknown[] => [v].flat();

  test('no statement allows a wildcard action on a wildcard resource', () => {
    const all = statements();
    assert.ok(all.length > 20);
    for (const { where, statement } of all) {
      if (statement.Effect !== 'Allow') continue;
      const anyResource = list(statement.Resource).includes('*');
      const wildAction = list(statement.Action).some((a) => String(a).includes('*'));
      assert.ok(!(anyResource && wildAction), `${where}: ${JSON.stringify(statement)}`);
    }
  });

  test('only actions without a resource type are granted on "*"', () => {
    const onAnything = new Set(
      statements()
        .filter(({ statement }) => list(statement.Resource).includes('*'))
        .flatMap(({ statement }) => list(statement.Action) as string[]),
    );
    assert.deepEqual([...onAnything].sort(), ['cloudwatch:PutMetricData', 'ecr:GetAuthorizationToken']);
  });

  test('the consumer reads and writes cleaned rows/ (a conditional write is followed by a HEAD), only writes rejected/', () => {
    const consumer = statements().filter(({ where }) => /^ServicesConsumer.*TaskRole/.test(where));
    const actionsOn = (prefix: string) =>
      consumer
        .filter(({ statement }) => JSON.stringify(statement.Resource).includes(`/${prefix}*`))
        .flatMap(({ statement }) => list(statement.Action) as string[])
        .filter((action) => action.startsWith('s3:'))
        .sort();
    assert.deepEqual(actionsOn('rows/'), ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
    assert.deepEqual(actionsOn('rejected/'), ['s3:AbortMultipartUpload', 's3:PutObject']);
  });

  test('no role of ours uses an AWS managed policy', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      // The feature flag @aws-cdk/aws-ec2:restrictDefaultSecurityGroup removes the default
      // security group's rules through a CDK custom resource, whose Lambda role CDK builds with
      // the basic execution policy.
      if (id.startsWith('CustomVpcRestrictDefaultSGCustomResourceProviderRole')) continue;
      // Likewise CDK's AwsCustomResource function (the service-linked roles), with its own logs only.
      if (id.startsWith('AWS679f53fac002430cb0da5b7982bd2287ServiceRole')) continue;
      assert.equal(role.Properties.ManagedPolicyArns, undefined, id);
    }
  });

  test('s3:ListBucket carries no prefix condition (a missing key must answer 404, see grants.ts)', () => {
    const listBucket = statements().filter(({ statement }) =>
      list(statement.Action).includes('s3:ListBucket'),
    );
    assert.ok(listBucket.length >= 3);
    for (const { where, statement } of listBucket) assert.equal(statement.Condition, undefined, where);
  });
});

describe('cdk-nag', () => {
  test('the AWS Solutions checks ran on the synth and left no unacknowledged finding', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const nag = (report.pluginReports as Json[]).filter((p) => p.pluginName === 'AwsSolutions');
    for (const plugin of nag) assert.deepEqual(plugin.violations, []);
  });

  test('the checks are live: an insecure bucket fails the synth with its rule ids', () => {
    const app = new App({ outdir: mkdtempSync(path.join(os.tmpdir(), 'cdk-nag-')) });
    const stack = new Stack(app, 'Insecure', { env: ENV });
    new s3.Bucket(stack, 'Open');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    assert.throws(() => app.synth(), /Validation failed/);
    const report = readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8');
    assert.match(report, /AwsSolutions-S10/); // no TLS-only policy
    assert.match(report, /AwsSolutions-S1/); // no access logs
  });
});

describe('a first deploy in a new account, and the deploys after it', () => {
  test("ECS's service-linked roles are created before any service, an existing role being no error", () => {
    const roles = ofType('Custom::ServiceLinkedRole');
    const created = roles.map(([, r]) => JSON.parse(r.Properties.Create));
    assert.deepEqual(
      created.map((c) => c.parameters.AWSServiceName).sort(),
      Object.keys(SERVICE_LINKED_ROLES).sort(),
    );
    for (const call of created) {
      assert.equal(call.action, 'createServiceLinkedRole');
      // "Service role name ... has been taken in this account" is InvalidInput.
      assert.equal(call.ignoreErrorCodesMatching, 'InvalidInput');
    }
    // Never deleted with the stack: no Delete call.
    for (const [, r] of roles) assert.equal(r.Properties.Delete, undefined);
    // Every ECS service and the scaling target wait for both.
    const ids = roles.map(([id]) => id);
    for (const [id, r] of [
      ...ofType('AWS::ECS::Service'),
      ...ofType('AWS::ApplicationAutoScaling::ScalableTarget'),
      ...ofType('AWS::ECS::Cluster'),
    ])
      for (const role of ids) assert.ok([r.DependsOn].flat().includes(role), `${id} waits for ${role}`);
    // The template names the scaling role by the ARN the custom resource creates.
    assert.match(
      JSON.stringify(one('AWS::ApplicationAutoScaling::ScalableTarget').RoleARN),
      /AWSServiceRoleForApplicationAutoScaling_ECSService/,
    );
  });

  test('the models bucket expires old versions, keeping the five latest', () => {
    const rules = resources[bucketId('Models')]?.Properties.LifecycleConfiguration.Rules as Json[];
    const rule = rules.find((r) => r.NoncurrentVersionExpiration) as Json;
    assert.deepEqual(rule.NoncurrentVersionExpiration, { NoncurrentDays: 90, NewerNoncurrentVersions: 5 });
    assert.equal(rule.Status, 'Enabled');
  });

  test('the CSV serde escapes nothing with a backslash (a name keeps its backslashes)', () => {
    const input = glueTable('cleaned_beers_csv');
    assert.deepEqual(input.StorageDescriptor.SerdeInfo.Parameters, {
      separatorChar: ',',
      quoteChar: '"',
      escapeChar: '\uE000',
    });
  });

  test('Kinesis through NAT by default; an interface endpoint with kinesisVpcEndpoint', () => {
    const endpoints = (json: Record<string, Json>) =>
      Object.values(json)
        .filter((r) => r.Type === 'AWS::EC2::VPCEndpoint')
        .map((r) => r.Properties);
    assert.ok(endpoints(resources).every((e) => e.VpcEndpointType !== 'Interface'));
    const json = synth({ 'aws:cdk:bundling-stacks': [], kinesisVpcEndpoint: true }).template.toJSON()
      .Resources;
    const kinesis = endpoints(json).filter((e) => e.VpcEndpointType === 'Interface');
    assert.equal(kinesis.length, 1);
    assert.match(JSON.stringify(kinesis[0]?.ServiceName), /kinesis-streams/);
    assert.equal(kinesis[0]?.PrivateDnsEnabled, true);
  });

  test('a second stack has its own metric namespace', () => {
    const json = synth({ 'aws:cdk:bundling-stacks': [], stackName: 'Brewstream-Staging' }).template.toJSON()
      .Resources as Record<string, Json>;
    const namespaces = new Set(
      Object.values(json)
        .filter((r) => r.Type === 'AWS::Logs::MetricFilter')
        .map((r) => r.Properties.MetricTransformations[0].MetricNamespace),
    );
    assert.deepEqual([...namespaces], ['Brewstream/Brewstream-Staging']);
  });
});

describe('context', () => {
  test('names and sizes come from context', () => {
    const { template: t } = synth({
      'aws:cdk:bundling-stacks': [],
      shardCount: 6,
      serverMinTasks: '3',
      logRetentionDays: 90,
      streamName: 'ales',
      producerIntervalMinutes: 10,
    });
    t.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'ales', ShardCount: 6 });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3 });
    t.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
  });

  test('a certificate with a narrow allowedCidr synthesises cleanly: HTTPS, a redirect, nothing open to the world', () => {
    const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/abc';
    const { app, template: t } = synth({
      'aws:cdk:bundling-stacks': [],
      certificateArn,
      allowedCidr: '203.0.113.0/24',
    });
    const json = t.toJSON().Resources as Record<string, Json>;
    const listeners = Object.entries(json).filter(
      ([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener',
    );
    const byPort = Object.fromEntries(
      listeners.map(([id, r]) => [r.Properties.Port, { id, ...r.Properties }]),
    );
    assert.deepEqual(Object.keys(byPort).sort(), ['443', '80']);
    assert.equal(byPort[443].Protocol, 'HTTPS');
    assert.deepEqual(byPort[443].Certificates, [{ CertificateArn: certificateArn }]);
    assert.equal(byPort[443].DefaultActions[0].Type, 'forward');
    assert.equal(byPort[80].DefaultActions[0].Type, 'redirect');
    assert.equal(byPort[80].DefaultActions[0].RedirectConfig.Protocol, 'HTTPS');
    // The port-80 listener and the target group keep their logical ids with or without a
    // certificate, so adding one to a running stack updates them in place (no DuplicateListener).
    const plain = Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener',
    );
    assert.deepEqual(
      plain.map(([id]) => id),
      [byPort[80].id],
    );
    assert.deepEqual(
      Object.keys(json).filter((id) => json[id]?.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup'),
      ofType('AWS::ElasticLoadBalancingV2::TargetGroup').map(([id]) => id),
    );
    // Ingress to the load balancer: only allowedCidr, on 80 and 443.
    const albIngress = Object.values(json)
      .filter(
        (r) => r.Type === 'AWS::EC2::SecurityGroup' && /load balancer/.test(r.Properties.GroupDescription),
      )
      .flatMap((r) => r.Properties.SecurityGroupIngress ?? []);
    assert.deepEqual(albIngress.map((rule: Json) => `${rule.CidrIp}:${rule.FromPort}`).sort(), [
      '203.0.113.0/24:443',
      '203.0.113.0/24:80',
    ]);
    const report = JSON.parse(readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
    for (const plugin of report.pluginReports as Json[]) assert.deepEqual(plugin.violations, []);
    // Without a domainName, ApiUrl is the load balancer's own name, which the certificate does not cover.
    assert.match(
      JSON.stringify(t.toJSON().Outputs.ApiUrl.Value),
      /^\{"Fn::Join":\["",\["https:\/\/",\{"Fn::GetAtt"/,
    );
  });

  test('with a domainName, ApiUrl is https://<domainName>, the name the certificate covers', () => {
    const { template: t } = synth({
      'aws:cdk:bundling-stacks': [],
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
      domainName: 'beers.example.com',
    });
    const outputs = t.toJSON().Outputs;
    assert.equal(outputs.ApiUrl.Value, 'https://beers.example.com');
    assert.equal(outputs.DashboardUrl.Value, 'https://beers.example.com/admin/queues');
    assert.throws(
      () => synth({ domainName: 'Not A Name' }),
      /domainName: "Not A Name" is not a lower-case DNS name/,
    );
  });

  test('the consumer gets one task per consumerShardsPerTask shards, each capped at that many leases', () => {
    const { template: t } = synth({
      'aws:cdk:bundling-stacks': [],
      shardCount: 20,
      consumerShardsPerTask: 6,
      consumerMemoryMiB: 4096,
    });
    const json = t.toJSON().Resources as Record<string, Json>;
    const consumer = Object.entries(json).find(([id]) => id.startsWith('ServicesConsumerService'));
    assert.equal(consumer?.[1].Properties.DesiredCount, 4); // ceil(20 / 6)
    const task = Object.values(json).find(
      (r) =>
        r.Type === 'AWS::ECS::TaskDefinition' && r.Properties.ContainerDefinitions[0].Name === 'consumer',
    );
    const env = task?.Properties.ContainerDefinitions[0].Environment as Json[];
    assert.deepEqual(
      env.find((e) => e.Name === 'KCL_MAX_LEASES_PER_WORKER'),
      { Name: 'KCL_MAX_LEASES_PER_WORKER', Value: '6' },
    );
  });

  test('bad context values stop the synth with one message naming each key', () => {
    const app = new App({
      context: {
        shardCount: 0,
        serverCpu: 300,
        logRetentionDays: 10,
        allowedCidr: 'anywhere',
        serverMemoryMiB: 512,
        consumerPollIntervalMs: 250,
        consumerShardsPerTask: 7,
        stackName: 'a--b',
      },
    });
    assert.throws(
      () => buildApp(app, ENV),
      (error: Error) => {
        assert.match(error.message, /shardCount: must be between 1 and 500, got 0/);
        assert.match(error.message, /serverCpu: must be one of 256, 512, 1024, 2048, 4096, got 300/);
        assert.match(error.message, /logRetentionDays: must be one of 1, 3, 5/);
        assert.match(error.message, /allowedCidr: "anywhere" is not an IPv4 CIDR/);
        assert.match(
          error.message,
          /serverMemoryMiB: Fargate allows 2048-8192 MiB in 1024 MiB steps with 1024 CPU units, got 512/,
        );
        // 4 reads a second plus Firehose's one is the whole shard's limit.
        assert.match(error.message, /consumerPollIntervalMs: must be between 400 and 60000, got 250/);
        assert.match(error.message, /consumerShardsPerTask: 7 shards need \d+ MiB per task/);
        assert.match(error.message, /stackName: "a--b" is not a stack name/);
        assert.match(error.message, /certificateArn: not set, .* or allowKeysOverHttp=true for a trial/);
        return true;
      },
    );
  });
});

describe('names and removal', () => {
  /** Every physical name the template sets, by resource. */
  function physicalNames(json: Record<string, Json>): string[] {
    const keys = ['Name', 'TableName', 'LogGroupName', 'DashboardName', 'ReplicationGroupId'];
    return Object.values(json).flatMap((r) => {
      const p = r.Properties ?? {};
      const names = keys.map((k) => p[k]).filter((v): v is string => typeof v === 'string');
      if (r.Type === 'AWS::Glue::Database') names.push(p.DatabaseInput.Name);
      if (r.Type === 'AWS::Glue::Table') {
        const database =
          typeof p.DatabaseName === 'string'
            ? p.DatabaseName
            : json[p.DatabaseName.Ref]?.Properties.DatabaseInput.Name;
        names.push(`${database}.${p.TableInput.Name}`);
      }
      return names;
    });
  }

  test('every fixed name derives from the stack name, so two stacks fit in one account and region', () => {
    const first = physicalNames(resources);
    for (const name of [
      'brewstream-beers',
      'brewstream-cleaned',
      'brewstream-redis',
      'brewstream.cleaned_beers',
    ])
      assert.ok(first.includes(name), `${name} in ${first.join(', ')}`);
    const second = physicalNames(
      synth({ 'aws:cdk:bundling-stacks': [], stackName: 'Brewstream-Staging' }).template.toJSON().Resources,
    );
    assert.equal(second.length, first.length);
    assert.deepEqual(
      second.filter((name) => first.includes(name)),
      [],
    );
    assert.ok(second.includes('brewstream_staging.cleaned_beers'));
  });

  test('only the data buckets outlive the stack; what has a fixed name is deleted with it', () => {
    const kept = Object.entries(resources)
      .filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete')
      .map(([id, r]) => `${r.Type} ${id}`);
    // The four buckets (their names are generated, so a redeploy makes new ones), and the log
    // stream the Firehose construct retains inside its log group, which is deleted.
    assert.deepEqual(kept.map((k) => k.replace(/[0-9A-F]{8}$/, '')).sort(), [
      'AWS::Logs::LogStream StreamFirehoseLogsS3Destination',
      'AWS::S3::Bucket StorageAccessLogs',
      'AWS::S3::Bucket StorageCleaned',
      'AWS::S3::Bucket StorageModels',
      'AWS::S3::Bucket StorageRaw',
    ]);
    for (const [, bucket] of ofType('AWS::S3::Bucket')) assert.equal(bucket.Properties.BucketName, undefined);
    for (const type of [
      'AWS::Kinesis::Stream',
      'AWS::Glue::Database',
      'AWS::KMS::Key',
      'AWS::DynamoDB::Table',
    ])
      for (const [id, r] of ofType(type))
        assert.equal(r.DeletionPolicy ?? 'Delete', 'Delete', `${type} ${id}`);
  });
});
