// Assertions on the synthesised template: every part of the pipeline exists with the properties
// that matter, IAM stays narrow, and cdk-nag's AWS Solutions checks pass. The synth is the real one
// (cdk-nag plugged in, the producer bundled by esbuild), into a temporary cloud assembly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CLEANED_COLUMNS } from '../lib/beer.js';
import { buildApp } from './app.js';
import { ROLE_COMMANDS } from './constructs/services.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped
type Json = Record<string, any>;

const ENV = { account: '123456789012', region: 'eu-west-1' };
let outdir: string;
let template: Template;
let resources: Record<string, Json>;

function synth(context: Record<string, unknown> = {}, dir?: string) {
  const app = new App({ outdir: dir ?? mkdtempSync(path.join(os.tmpdir(), 'cdk-')), context });
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
  test('the stream is encrypted and its shard count is a parameter defaulting to the context value', () => {
    const stream = one('AWS::Kinesis::Stream');
    assert.equal(stream.Name, 'beers');
    assert.deepEqual(stream.StreamEncryption, { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    assert.deepEqual(stream.ShardCount, { Ref: 'ShardCount' });
    template.hasParameter('ShardCount', { Type: 'Number', Default: 2, MinValue: 1 });
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

  test('the Glue table has the cleaned columns in order, over rows/, as CSV with projection on dt', () => {
    const input = one('AWS::Glue::Table').TableInput;
    const sd = input.StorageDescriptor;
    assert.deepEqual(
      sd.Columns.map((c: Json) => c.Name),
      [...CLEANED_COLUMNS],
    );
    assert.deepEqual(
      sd.Columns.map((c: Json) => c.Type),
      ['bigint', 'string', 'double', 'double', 'double', 'double', 'double', 'double', 'double'],
    );
    assert.deepEqual(sd.Location, { 'Fn::Join': ['', ['s3://', { Ref: bucketId('Cleaned') }, '/rows/']] });
    assert.equal(sd.SerdeInfo.SerializationLibrary, 'org.apache.hadoop.hive.serde2.OpenCSVSerde');
    assert.deepEqual(input.PartitionKeys, [{ Name: 'dt', Type: 'string' }]);
    assert.equal(input.Parameters['projection.enabled'], 'true');
    assert.equal(input.Parameters['projection.dt.type'], 'date');
    assert.equal(input.Parameters['projection.dt.format'], 'yyyy-MM-dd');
    assert.equal(input.Parameters['skip.header.line.count'], '1');
    assert.deepEqual(input.Parameters['storage.location.template'], {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholder, not a JS template
      'Fn::Join': ['', ['s3://', { Ref: bucketId('Cleaned') }, '/rows/dt=${dt}/']],
    });
  });
});

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
    const table = one('AWS::DynamoDB::Table');
    assert.equal(table.TableName, 'brewstream-cleaned');
    assert.deepEqual(table.KeySchema, [{ AttributeName: 'leaseKey', KeyType: 'HASH' }]);
  });

  test('the server gets its API keys from Secrets Manager and sits behind the ALB, healthy on /ready', () => {
    const server = container('server');
    const apiKeys = server.Secrets.find((s: Json) => s.Name === 'API_KEYS');
    const [secretId] = ofType('AWS::SecretsManager::Secret').find(([id]) => id.includes('ApiKeys')) as [
      string,
      Json,
    ];
    assert.deepEqual(apiKeys.ValueFrom, { Ref: secretId });
    assert.equal(env(server).HOST, '0.0.0.0');
    const targetGroup = one('AWS::ElasticLoadBalancingV2::TargetGroup');
    assert.equal(targetGroup.HealthCheckPath, '/ready');
    assert.equal(targetGroup.Matcher.HttpCode, '200');
    assert.equal(targetGroup.Port, 3000);
    const alb = one('AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.equal(alb.Scheme, 'internet-facing');
    const attributes = Object.fromEntries(alb.LoadBalancerAttributes.map((a: Json) => [a.Key, a.Value]));
    assert.equal(attributes['access_logs.s3.enabled'], 'true');
    assert.equal(one('AWS::ElasticLoadBalancingV2::Listener').Port, 80);
  });

  test('the server scales on CPU and on requests per target', () => {
    const target = one('AWS::ApplicationAutoScaling::ScalableTarget');
    assert.equal(target.MinCapacity, 2);
    assert.equal(target.MaxCapacity, 6);
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
    const fn = one('AWS::Lambda::Function');
    assert.equal(fn.Runtime, 'nodejs24.x');
    assert.equal(fn.Handler, 'index.handler');
    assert.equal(fn.Environment.Variables.PUNK_SOURCE, 'db');
    const rule = one('AWS::Events::Rule');
    assert.equal(rule.ScheduleExpression, 'rate(5 minutes)');
    const [fnId] = ofType('AWS::Lambda::Function')[0] as [string, Json];
    assert.deepEqual(rule.Targets[0].Arn, { 'Fn::GetAtt': [fnId, 'Arn'] });
  });
});

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

  test('alarms for iterator age, dead letters, trainer failures and server 5xx notify one topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const byMetric = (name: string) =>
      alarms.find((a) => a.MetricName === name || JSON.stringify(a.Metrics ?? []).includes(name));
    assert.ok(byMetric('GetRecords.IteratorAgeMilliseconds'));
    assert.ok(byMetric('DeadLetters'));
    assert.ok(byMetric('TrainerJobFailures'));
    assert.ok(byMetric('HTTPCode_Target_5XX_Count'));
    assert.ok(byMetric('HTTPCode_ELB_5XX_Count'));
    const [topicId] = ofType('AWS::SNS::Topic')[0] as [string, Json];
    for (const alarm of alarms) assert.deepEqual(alarm.AlarmActions, [{ Ref: topicId }]);
    const filters = ofType('AWS::Logs::MetricFilter').map(([, r]) => r.Properties.FilterPattern);
    assert.deepEqual(filters.sort(), ['{ $.deadLetter IS TRUE }', '{ $.jobFailed IS TRUE }']);
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

  test('no role uses an AWS managed policy', () => {
    for (const [id, role] of ofType('AWS::IAM::Role'))
      assert.equal(role.Properties.ManagedPolicyArns, undefined, id);
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

describe('context', () => {
  test('names and sizes come from context; a certificate adds HTTPS and a redirect', () => {
    const { template: t } = synth({
      'aws:cdk:bundling-stacks': [],
      shardCount: 6,
      serverMinTasks: '3',
      logRetentionDays: 90,
      streamName: 'ales',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
      producerIntervalMinutes: 10,
    });
    t.hasParameter('ShardCount', { Default: 6 });
    t.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'ales' });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3 });
    t.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect' })],
    });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
  });

  test('bad context values stop the synth with one message naming each key', () => {
    const app = new App({
      context: {
        shardCount: 0,
        serverCpu: 300,
        logRetentionDays: 10,
        allowedCidr: 'anywhere',
        serverMemoryMiB: 512,
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
          /serverMemoryMiB: Fargate allows 2048-8192 MiB with 1024 CPU units, got 512/,
        );
        return true;
      },
    );
  });
});
