// Alarms on what an operator must act on, sent to one SNS topic, and a dashboard beside them:
//   consumer iterator age: the cleaned path (or Firehose) is falling behind the stream
//   dead letters:          records the cleaned consumer refused (consumers/cleaned/sink.ts logs
//                          each as a JSON line with "deadLetter": true)
//   trainer failures:      retrain jobs that failed ("jobFailed": true in the trainer's log)
//   server 5xx:            errors from the server or from the load balancer in front of it
//   producer errors:       ticks that failed after their retries
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Settings } from '../settings.js';
import type { Stream } from './stream.js';

export const METRICS_NAMESPACE = 'Brewstream';

interface MonitoringProps {
  settings: Settings;
  stream: Stream;
  consumerLogs: logs.ILogGroup;
  trainerLogs: logs.ILogGroup;
  loadBalancer: elbv2.ApplicationLoadBalancer;
  producer: lambda.IFunction;
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: Record<
    'iteratorAge' | 'deadLetters' | 'trainerFailures' | 'server5xx' | 'producerErrors',
    cloudwatch.Alarm
  >;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { settings, stream } = props;
    // SNS needs a customer key it may use: the AWS-managed alias/aws/sns one is closed to CloudWatch.
    const key = new kms.Key(this, 'TopicKey', {
      description: 'brewstream alarm topic',
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'Alarms', { masterKey: key, enforceSSL: true });
    key.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
    if (settings.alarmEmail)
      this.topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));

    const fromLog = (name: string, group: logs.ILogGroup, pattern: logs.IFilterPattern) =>
      new logs.MetricFilter(this, `${name}Filter`, {
        logGroup: group,
        filterPattern: pattern,
        metricNamespace: METRICS_NAMESPACE,
        metricName: name,
        metricValue: '1',
        defaultValue: 0,
      }).metric({ statistic: 'Sum', period: Duration.minutes(5) });
    // JSON patterns match the processor's own line; the MultiLangDaemon's wrapped copy of the same
    // line is text, so each dead letter is counted once.
    const deadLetters = fromLog(
      'DeadLetters',
      props.consumerLogs,
      logs.FilterPattern.booleanValue('$.deadLetter', true),
    );
    const trainerFailures = fromLog(
      'TrainerJobFailures',
      props.trainerLogs,
      logs.FilterPattern.booleanValue('$.jobFailed', true),
    );
    const iteratorAge = stream.stream.metricGetRecordsIteratorAgeMilliseconds({
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
    const server5xx = new cloudwatch.MathExpression({
      expression: 'FILL(target, 0) + FILL(elb, 0)',
      usingMetrics: {
        target: props.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
          period: Duration.minutes(5),
        }),
        elb: props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
          period: Duration.minutes(5),
        }),
      },
      label: 'server 5xx',
      period: Duration.minutes(5),
    });
    const producerErrors = props.producer.metricErrors({ period: Duration.minutes(15) });

    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      periods = 1,
    ) => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new actions.SnsAction(this.topic));
      return a;
    };
    this.alarms = {
      iteratorAge: alarm(
        'IteratorAge',
        iteratorAge,
        settings.iteratorAgeAlarmSeconds * 1000,
        `A reader of ${settings.streamName} is more than ${settings.iteratorAgeAlarmSeconds} s behind for 5 minutes`,
        5,
      ),
      deadLetters: alarm(
        'DeadLetters',
        deadLetters,
        settings.deadLetterAlarmCount,
        'The cleaned consumer wrote dead letters (s3://<cleaned>/rejected/); the reason is in each object and log line',
      ),
      trainerFailures: alarm(
        'TrainerFailures',
        trainerFailures,
        1,
        'A retrain job failed; the champion is unchanged',
      ),
      server5xx: alarm(
        'Server5xx',
        server5xx,
        settings.server5xxAlarmCount,
        'The prediction server (or its load balancer) answered 5xx',
      ),
      producerErrors: alarm('ProducerErrors', producerErrors, 1, 'A producer tick failed after its retries'),
    };

    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `brewstream-${Stack.of(this).stackName}`,
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Iterator age (ms, max)', left: [iteratorAge], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Records in',
            left: [stream.stream.metricIncomingRecords({ period: Duration.minutes(1) })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Dead letters', left: [deadLetters], width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Server 5xx', left: [server5xx], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Server latency (p99, s)',
            left: [props.loadBalancer.metrics.targetResponseTime({ statistic: 'p99' })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Trainer failures', left: [trainerFailures], width: 8 }),
        ],
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: Object.values(this.alarms),
            width: 24,
          }),
        ],
      ],
    });
  }
}
