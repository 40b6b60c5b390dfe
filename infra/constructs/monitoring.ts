// Alarms on what an operator must act on, sent to one SNS topic, and a dashboard beside them.
// Each alarm watches the part itself, not a neighbour that happens to share a metric:
//   consumer lag:        KCL's own MillisBehindLatest for the application (the stream-level iterator
//                        age mixes in Firehose, which keeps reading when the consumer is dead); no
//                        data at all is breaching, since a live consumer reports every few seconds
//   unread shards:       KCL's ExpiredLeases: shards whose lease no live worker renews (after a
//                        reshard beyond the tasks' lease limit, or a worker gone); a shard nobody
//                        reads publishes no lag of its own, so the application's lag cannot show it
//   consumer/trainer:    running tasks below the desired count (Container Insights)
//   task crashes:        any task of the cluster stopped with a non-zero exit or failing to start
//                        (an EventBridge rule on ECS task state changes): a crash loop that the
//                        running-task averages miss, and a wedged processor, which the daemon's
//                        timeoutInSeconds turns into a crash (consumers/amazon/consumer.properties)
//   read throttling:     GetRecords refused for the shard's 5 reads a second (consumer + Firehose)
//   raw delivery:        Firehose's data freshness into the raw bucket
//   Redis memory:        BullMQ keeps jobs in Redis with noeviction; a full Redis refuses writes
//   unhealthy servers:   targets failing /ready (a champion that does not load, a crash loop)
//   dead letters:        records the cleaned consumer refused ("deadLetter": true in its log)
//   trainer failures:    retrain jobs that failed for good ("jobFailed": true, last attempt only)
//   server 5xx:          5xx the server logged that point at a fault of ours (a bug, "internal";
//                        a stored object it cannot use, "invalid_stored_object"), plus the load
//                        balancer's own 5xx; not the 503 before the first model ("not_ready")
//   dependencies:        503s the server answered because S3 or Redis was down or refusing it
//                        ("unavailable"; the log line's err names the dependency and the object)
//   producer errors:     ticks that failed after their retries
//   input drift:         the server found the champion's inputs drifting from its training data
//                        ("drift": true, a warn line per check while it lasts; docs/design.md
//                        "Drift and data quality")
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Settings } from '../settings.js';
import type { Stream } from './stream.js';

/** The first part of the namespace of the metrics our log filters make; the stack name follows. */
export const METRICS_NAMESPACE = 'Brewstream';

/** One namespace per stack: two stacks in one account must not fire each other's alarms. */
export const metricsNamespace = (stackName: string) => `${METRICS_NAMESPACE}/${stackName}`;

/** Where each crash event is kept. */
export const taskCrashLogGroup = (stackName: string) => `/aws/events/brewstream/${stackName}/task-crashes`;

/**
 * The ECS task state changes that mean a crash: a task of the cluster stopped with a container
 * exiting non-zero (a deploy's SIGTERM ends every role with 0), or a task that never started (an
 * image it cannot pull, a secret it cannot read).
 */
export function taskCrashPattern(clusterArn: string): events.EventPattern {
  return {
    source: ['aws.ecs'],
    detailType: ['ECS Task State Change'],
    detail: {
      clusterArn: [clusterArn],
      lastStatus: ['STOPPED'],
      $or: [{ containers: { exitCode: [{ 'anything-but': 0 }] } }, { stopCode: ['TaskFailedToStart'] }],
    },
  };
}

/**
 * The server's request lines that count as a server error: status 5xx, except the 503 that
 * /predict answers (error "not_ready") while no model has been promoted yet, which a fresh stack
 * answers by design until its first training, and the 503 of a dependency that is down
 * ("unavailable"), which DEPENDENCY_UNAVAILABLE_PATTERN counts apart, so an operator can tell a
 * bug from an outage. The "not exists" branch keeps lines without an error code (a 503 from
 * /ready while loading) whatever CloudWatch makes of != on a missing field.
 */
export const SERVER_5XX_PATTERN = logs.FilterPattern.all(
  logs.FilterPattern.stringValue('$.msg', '=', 'request'),
  logs.FilterPattern.numberValue('$.status', '>=', 500),
  logs.FilterPattern.any(
    logs.FilterPattern.notExists('$.error'),
    logs.FilterPattern.all(
      logs.FilterPattern.stringValue('$.error', '!=', 'not_ready'),
      logs.FilterPattern.stringValue('$.error', '!=', 'unavailable'),
    ),
  ),
);

/** The server's 503s for a dependency (S3, Redis) that was down or refused it. */
export const DEPENDENCY_UNAVAILABLE_PATTERN = logs.FilterPattern.all(
  logs.FilterPattern.stringValue('$.msg', '=', 'request'),
  logs.FilterPattern.stringValue('$.error', '=', 'unavailable'),
);

interface MonitoringProps {
  settings: Settings;
  stream: Stream;
  cluster: ecs.ICluster;
  services: { consumer: ecs.FargateService; trainer: ecs.FargateService };
  logs: { consumer: logs.ILogGroup; trainer: logs.ILogGroup; server: logs.ILogGroup };
  loadBalancer: elbv2.ApplicationLoadBalancer;
  targetGroup: elbv2.ApplicationTargetGroup;
  producer: lambda.IFunction;
  /** The ElastiCache replication group id and its node count (nodes are <id>-001, -002, ...). */
  cache: { id: string; nodes: number };
}

export type AlarmName =
  | 'consumerLag'
  | 'consumerUnreadShards'
  | 'taskCrashes'
  | 'consumerTasks'
  | 'trainerTasks'
  | 'readThrottling'
  | 'rawFreshness'
  | 'cacheMemory'
  | 'unhealthyServers'
  | 'deadLetters'
  | 'trainerFailures'
  | 'server5xx'
  | 'dependencyUnavailable'
  | 'producerErrors'
  | 'inputDrift';

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: Record<AlarmName, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { settings, stream } = props;
    const stack = Stack.of(this);
    const namespace = metricsNamespace(stack.stackName);
    // SNS needs a customer key it may use: the AWS-managed alias/aws/sns one is closed to CloudWatch.
    const key = new kms.Key(this, 'TopicKey', {
      description: 'brewstream alarm topic',
      enableKeyRotation: true,
      // It encrypts notifications in flight only; nothing stored needs it after the stack.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topic = new sns.Topic(this, 'Alarms', { masterKey: key, enforceSSL: true });
    // enforceSSL makes the topic policy one Deny statement, which replaces SNS's default policy:
    // CloudWatch may publish only what this allows, and only for alarms of this account and
    // region (the conditions keep another account's alarms, the confused deputy, out).
    const alarmsOfThisAccount = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
      },
    };
    const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [cloudwatchService],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: alarmsOfThisAccount,
      }),
    );
    // What CloudWatch needs of the key to publish to an encrypted topic, under the same conditions.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [cloudwatchService],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: alarmsOfThisAccount,
      }),
    );
    if (settings.alarmEmail)
      this.topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));

    const fromLog = (name: string, group: logs.ILogGroup, pattern: logs.IFilterPattern) =>
      new logs.MetricFilter(this, `${name}Filter`, {
        logGroup: group,
        filterPattern: pattern,
        metricNamespace: namespace,
        metricName: name,
        metricValue: '1',
        defaultValue: 0,
      }).metric({ statistic: 'Sum', period: Duration.minutes(5) });
    // Each processor JSON line reaches the log group once (consumers/amazon/logback.xml).
    const deadLetters = fromLog(
      'DeadLetters',
      props.logs.consumer,
      logs.FilterPattern.booleanValue('$.deadLetter', true),
    );
    // Logged on a job's last attempt only (docs/design.md "Logs"): one failed retrain, one count.
    const trainerFailures = fromLog(
      'TrainerJobFailures',
      props.logs.trainer,
      logs.FilterPattern.booleanValue('$.jobFailed', true),
    );
    const serverErrors = fromLog('Server5xx', props.logs.server, SERVER_5XX_PATTERN);
    const dependencyErrors = fromLog(
      'ServerDependencyUnavailable',
      props.logs.server,
      DEPENDENCY_UNAVAILABLE_PATTERN,
    );
    const inputDrift = fromLog(
      'InputDrift',
      props.logs.server,
      logs.FilterPattern.booleanValue('$.drift', true),
    );

    // KCL's metrics are in the application's namespace, by operation; the worst value counts.
    const kcl = (metricName: string, operation: string) =>
      new cloudwatch.Metric({
        namespace: settings.applicationName,
        metricName,
        dimensionsMap: { Operation: operation },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
    // KCL publishes MillisBehindLatest per shard and, with the Operation dimension only
    // (ApplicationTracker), for the whole application.
    const consumerLag = kcl('MillisBehindLatest', 'ApplicationTracker');
    // Leases no live worker renews: shards nobody reads. Each worker publishes its own view with
    // the Operation dimension only (consumer.properties turns WorkerIdentifier off).
    const unreadShards = kcl('ExpiredLeases', 'TakeLeases');
    // Every shard's own lag, for the dashboard only: an alarm cannot use SEARCH, and the shard ids
    // change with every reshard.
    const lagPerShard = new cloudwatch.MathExpression({
      expression: `SEARCH('{${settings.applicationName},Operation,ShardId} Operation="ProcessTask" MetricName="MillisBehindLatest"', 'Maximum', 60)`,
      label: '',
      period: Duration.minutes(1),
    });
    // A rule that matches crashes; its MatchedEvents count is the alarm's metric, and its target
    // keeps each event (which task, which container, the exit code and reason) for the operator.
    // Under /aws/events/, where EventBridge expects the groups it writes to.
    const crashLog = new logs.LogGroup(this, 'TaskCrashLogs', {
      logGroupName: taskCrashLogGroup(stack.stackName),
      retention: settings.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const crashRule = new events.Rule(this, 'TaskCrashRule', {
      description: `brewstream ${stack.stackName}: a task stopped with a non-zero exit or failed to start`,
      eventPattern: taskCrashPattern(props.cluster.clusterArn),
    });
    crashRule.addTarget({ bind: () => ({ arn: crashLog.logGroupArn }) });
    // EventBridge writes to a log group only where the group's resource policy lets it; this is
    // a CloudFormation resource policy, not the custom-resource Lambda the CDK log target makes.
    crashLog.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [
          new iam.ServicePrincipal('events.amazonaws.com'),
          new iam.ServicePrincipal('delivery.logs.amazonaws.com'),
        ],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [crashLog.logGroupArn],
        conditions: { ArnEquals: { 'aws:SourceArn': crashRule.ruleArn } },
      }),
    );
    const taskCrashes = new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'MatchedEvents',
      dimensionsMap: { RuleName: crashRule.ruleName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    const iteratorAge = stream.stream.metricGetRecordsIteratorAgeMilliseconds({
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
    const tasksMissing = (service: ecs.FargateService, label: string) =>
      new cloudwatch.MathExpression({
        expression: 'desired - running',
        usingMetrics: Object.fromEntries(
          (['desired', 'running'] as const).map((k) => [
            k,
            new cloudwatch.Metric({
              namespace: 'ECS/ContainerInsights',
              metricName: k === 'desired' ? 'DesiredTaskCount' : 'RunningTaskCount',
              dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: service.serviceName },
              statistic: 'Average',
              period: Duration.minutes(1),
            }),
          ]),
        ),
        label,
        period: Duration.minutes(1),
      });
    const readThrottling = stream.stream.metricReadProvisionedThroughputExceeded({
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    const rawFreshness = stream.delivery.metric('DeliveryToS3.DataFreshness', {
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
    // Per node; the worst node counts (the primary moves on a failover).
    const cacheMemory = new cloudwatch.MathExpression({
      expression: `MAX([${Array.from({ length: props.cache.nodes }, (_, i) => `node${i}`).join(', ')}])`,
      usingMetrics: Object.fromEntries(
        Array.from({ length: props.cache.nodes }, (_, i) => [
          `node${i}`,
          new cloudwatch.Metric({
            namespace: 'AWS/ElastiCache',
            metricName: 'DatabaseMemoryUsagePercentage',
            dimensionsMap: { CacheClusterId: `${props.cache.id}-${String(i + 1).padStart(3, '0')}` },
            statistic: 'Maximum',
            period: Duration.minutes(5),
          }),
        ]),
      ),
      label: 'Redis memory used (%, worst node)',
      period: Duration.minutes(5),
    });
    const unhealthyServers = props.targetGroup.metrics.unhealthyHostCount({
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
    const server5xx = new cloudwatch.MathExpression({
      expression: 'FILL(server, 0) + FILL(elb, 0)',
      usingMetrics: {
        server: serverErrors,
        elb: props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
          period: Duration.minutes(5),
        }),
      },
      label: 'server 5xx (faults: without the no-model and dependency 503s)',
      period: Duration.minutes(5),
    });
    const producerErrors = props.producer.metricErrors({ period: Duration.minutes(15) });

    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      options: { periods?: number; missing?: cloudwatch.TreatMissingData } = {},
    ) => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: options.periods ?? 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: options.missing ?? cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new actions.SnsAction(this.topic));
      return a;
    };
    this.alarms = {
      consumerLag: alarm(
        'ConsumerLag',
        consumerLag,
        settings.consumerLagAlarmSeconds * 1000,
        `The cleaned consumer (${settings.applicationName}) is more than ${settings.consumerLagAlarmSeconds} s behind ${settings.streamName}, or has reported nothing, for 5 minutes`,
        { periods: 5, missing: cloudwatch.TreatMissingData.BREACHING },
      ),
      consumerUnreadShards: alarm(
        'ConsumerUnreadShards',
        unreadShards,
        1,
        `A shard of ${settings.streamName} has had no live reader for 10 minutes (KCL ExpiredLeases): after a reshard, raise consumerShardsPerTask or the task count; otherwise see the consumer log`,
        { periods: 10 },
      ),
      taskCrashes: alarm(
        'TaskCrashes',
        taskCrashes,
        1,
        `A task of ${stack.stackName} stopped with a non-zero exit or failed to start; each event is in ${taskCrashLogGroup(stack.stackName)}`,
      ),
      consumerTasks: alarm(
        'ConsumerTasks',
        tasksMissing(props.services.consumer, 'consumer tasks missing'),
        1,
        'Fewer consumer tasks run than desired for 10 minutes: some shards may have no reader',
        { periods: 10 },
      ),
      trainerTasks: alarm(
        'TrainerTasks',
        tasksMissing(props.services.trainer, 'trainer tasks missing'),
        1,
        'The trainer task has not been running for 10 minutes: no retraining',
        { periods: 10 },
      ),
      readThrottling: alarm(
        'ReadThrottling',
        readThrottling,
        settings.readThrottleAlarmCount,
        `GetRecords on ${settings.streamName} throttled ${settings.readThrottleAlarmCount}+ times in 5 minutes, 3 times running: raise consumerPollIntervalMs or add shards`,
        { periods: 3 },
      ),
      rawFreshness: alarm(
        'RawFreshness',
        rawFreshness,
        settings.rawFreshnessAlarmSeconds,
        `Firehose holds records older than ${settings.rawFreshnessAlarmSeconds} s undelivered to the raw bucket`,
      ),
      cacheMemory: alarm(
        'CacheMemory',
        cacheMemory,
        settings.cacheMemoryAlarmPercent,
        `Redis is ${settings.cacheMemoryAlarmPercent}% full; with noeviction it refuses writes when full (BullMQ jobs)`,
        { periods: 2 },
      ),
      unhealthyServers: alarm(
        'UnhealthyServers',
        unhealthyServers,
        1,
        'A server task has failed the /ready check for 5 minutes (see the server log: a champion that does not load, or no access to the models bucket)',
        { periods: 5 },
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
        'A retrain job failed with no attempts left; the champion is unchanged',
      ),
      server5xx: alarm(
        'Server5xx',
        server5xx,
        settings.server5xxAlarmCount,
        'The prediction server (or its load balancer) answered 5xx for a fault of its own (a bug, or a stored object it cannot use): not the 503 before the first model, nor a dependency outage',
      ),
      dependencyUnavailable: alarm(
        'ServerDependencyUnavailable',
        dependencyErrors,
        settings.server5xxAlarmCount,
        'The prediction server answered 503 because S3 or Redis was down or refused it (the log line names which, and the object); predictions of a loaded model go on',
      ),
      producerErrors: alarm('ProducerErrors', producerErrors, 1, 'A producer tick failed after its retries'),
      // Not a page-now fault: the model still answers. An hour of it says the inputs have moved
      // from what it was trained on (GET /models/champion/drift says which); retrain or look.
      inputDrift: alarm(
        'InputDrift',
        inputDrift,
        1,
        "The server's recent inputs have drifted from the champion's training data (PSI over the threshold) for an hour; GET /models/champion/drift names the features",
        { periods: 12 },
      ),
    };

    const graph = (title: string, metric: cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({ title, left: [metric], width: 8 });
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `brewstream-${Stack.of(this).stackName}`,
      widgets: [
        [
          graph('Consumer lag (ms, max)', consumerLag),
          graph('Stream iterator age, all readers (ms, max)', iteratorAge),
          graph('Records in', stream.stream.metricIncomingRecords({ period: Duration.minutes(1) })),
        ],
        [
          graph('Consumer lag per shard (ms, max)', lagPerShard),
          graph('Unread shards (expired leases)', unreadShards),
          graph('Task crashes', taskCrashes),
        ],
        [
          graph('Dead letters', deadLetters),
          graph('Read throttling', readThrottling),
          graph('Raw delivery freshness (s, max)', rawFreshness),
        ],
        [
          graph('Server 5xx (faults)', server5xx),
          graph('Server 503 (a dependency down)', dependencyErrors),
          graph(
            'Server latency (p99, s)',
            props.loadBalancer.metrics.targetResponseTime({ statistic: 'p99' }),
          ),
          graph('Trainer failures', trainerFailures),
          graph('Input drift (warn lines)', inputDrift),
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
