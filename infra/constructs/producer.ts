// The producer as a Lambda (producer/lambda.ts, bundled with esbuild at synth) on an EventBridge
// schedule: one tick every producerIntervalMinutes, as the original CloudWatch Event did.
import path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { repoRoot } from '../paths.js';
import type { Settings } from '../settings.js';
import { acknowledgeWildcard, grantProducer, logicalId } from './grants.js';

export class Producer extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly schedule: events.Rule;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, settings: Settings, stream: kinesis.IStream) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/brewstream/${Stack.of(this).stackName}/producer`,
      retention: settings.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own: the managed AWSLambdaBasicExecutionRole would allow writing any log group.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'brewstream producer: put records, write its own log group',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    acknowledgeWildcard(
      role,
      `Resource::<${logicalId(this.logGroup)}.Arn>`,
      "The producer's own log group; a log group ARN ends in :* to cover its streams.",
    );
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      role,
      entry: path.join(repoRoot, 'producer', 'lambda.ts'),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // A replay of 325 beers takes seconds; the retry budget of a throttled tick fits well within.
      timeout: Duration.minutes(1),
      logGroup: this.logGroup,
      // No reserved concurrency: an account whose concurrency quota is 10 (new accounts) refuses
      // any reservation that leaves fewer than 10 unreserved, and the stack would not create.
      // Ticks do not overlap anyway: the timeout (1 minute) is shorter than the schedule's
      // shortest interval, and a replay that overlaps a tick only puts the same beers again.
      environment: {
        STREAM_NAME: stream.streamName,
        PUNK_SOURCE: settings.producerSource,
        PRODUCER_BEERS_PER_TICK: String(settings.producerBeersPerTick),
        LOG_LEVEL: 'info',
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // Bundle the AWS SDK too (the default leaves it to the runtime's copy): the function runs
        // the versions the lock file pins and the tests exercise, not whatever Lambda ships.
        externalModules: [],
        // CommonJS dependencies (pino) call require(); an ES module bundle has to provide it.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    grantProducer(role, stream);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'brewstream producer tick',
      schedule: events.Schedule.rate(Duration.minutes(settings.producerIntervalMinutes)),
      targets: [new targets.LambdaFunction(this.fn, { retryAttempts: 2 })],
    });
  }
}
