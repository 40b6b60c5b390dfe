// The Kinesis stream (encrypted at rest) and Firehose's raw delivery from it to the
// raw bucket, in Firehose's default YYYY/MM/DD/HH/ layout (docs/design.md "Raw objects").
import { Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Settings } from '../settings.js';
import { logicalId } from './grants.js';

export class Stream extends Construct {
  readonly stream: kinesis.Stream;
  readonly delivery: firehose.DeliveryStream;

  constructor(scope: Construct, id: string, settings: Settings, rawBucket: s3.IBucket) {
    super(scope, id);
    // Reshard with `cdk deploy -c shardCount=N`: CloudFormation calls UpdateShardCount, the KCL
    // consumer follows the new shards, and the consumer's task count follows shardCount
    // (a synth-time number for that reason, not a CloudFormation parameter).
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamName: settings.streamName,
      shardCount: settings.shardCount,
      retentionPeriod: Duration.hours(settings.streamRetentionHours),
      // The AWS-managed aws/kinesis key: encrypted at rest with no key policy to keep in step with
      // every reader and writer (cdk-nag KDS3 prefers it too).
      encryption: kinesis.StreamEncryption.MANAGED,
      // Records live here for streamRetentionHours only; Firehose keeps them in the raw bucket.
      // Deleted with the stack, so a redeploy can create a stream of the same name.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const errors = new logs.LogGroup(this, 'FirehoseLogs', {
      retention: settings.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.delivery = new firehose.DeliveryStream(this, 'RawDelivery', {
      source: new firehose.KinesisStreamSource(this.stream),
      destination: new firehose.S3Bucket(rawBucket, {
        // Firehose's default prefix is already YYYY/MM/DD/HH/ (UTC); stated here because it is a contract.
        dataOutputPrefix: '!{timestamp:yyyy/MM/dd/HH}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/',
        bufferingInterval: Duration.seconds(settings.firehoseBufferSeconds),
        bufferingSize: Size.mebibytes(64),
        // One record per line, as the local stand-in writes them (docs/design.md "Raw objects"), gzipped.
        processors: [new firehose.AppendDelimiterToRecordProcessor()],
        compression: firehose.Compression.GZIP,
        fileExtension: '.jsonl.gz',
        loggingConfig: new firehose.EnableLogging(errors),
      }),
    });
    Validations.of(this.delivery).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'Firehose offers no server-side encryption with a Kinesis stream source; the stream is encrypted at rest and the raw bucket too.',
    });
    const destinationPolicy = this.delivery.node
      .findAll()
      .find((c) => c.node.path.endsWith('S3 Destination Role/DefaultPolicy'));
    if (destinationPolicy) {
      for (const finding of [
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        `Resource::<${logicalId(rawBucket)}.Arn>/*`,
      ]) {
        Validations.of(destinationPolicy).acknowledge({
          id: `AwsSolutions-IAM5[${finding}]`,
          reason:
            "aws-cdk-lib's Firehose S3 destination grants read-write on the raw bucket it delivers to; the L2 offers no narrower grant.",
        });
      }
    }
  }
}
