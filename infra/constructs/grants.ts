// What each role may do, statement by statement: the S3 prefixes of docs/design.md's contracts, the
// stream, the KCL lease table. Written out rather than through grantReadWrite(), whose wildcard
// actions (s3:GetObject*, s3:DeleteObject*, ...) give roles more than they use.
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/** The CloudFormation logical id of a construct's resource, as cdk-nag names it in a finding. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Acknowledges one cdk-nag IAM5 finding (a wildcard) on a role, with the reason it is needed. */
export function acknowledgeWildcard(role: IConstruct, finding: string, reason: string): void {
  Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}

/** List a prefix, and read and/or write the objects under it (multipart uploads included). */
export function grantPrefix(
  role: iam.IRole,
  bucket: s3.IBucket,
  prefix: string,
  access: { read?: boolean; write?: boolean },
): void {
  const principal = role.grantPrincipal;
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }),
  );
  const actions = [
    ...(access.read ? ['s3:GetObject'] : []),
    ...(access.write ? ['s3:PutObject', 's3:AbortMultipartUpload'] : []),
  ];
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions, resources: [bucket.arnForObjects(`${prefix}*`)] }),
  );
  acknowledgeWildcard(
    role,
    `Resource::<${logicalId(bucket)}.Arn>/${prefix}*`,
    `The objects under ${prefix} (docs/design.md contracts); S3 names a prefix only with a wildcard.`,
  );
}

/**
 * Amazon's MultiLangDaemon in polling mode: read the stream, keep leases and checkpoints in its
 * table, publish its metrics under the application's namespace.
 */
export function grantKclConsumer(
  role: iam.IRole,
  options: { stream: kinesis.IStream; leaseTableArn: string; applicationName: string },
): void {
  const principal = role.grantPrincipal;
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      // Polling only (consumer.properties sets retrievalMode = POLLING): no fan-out registration.
      actions: ['kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords'],
      resources: [options.stream.streamArn],
    }),
  );
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [
        'dynamodb:DescribeTable',
        'dynamodb:Scan',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ],
      resources: [options.leaseTableArn],
    }),
  );
  // PutMetricData has no resource type; the namespace condition is what scopes it.
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': options.applicationName } },
    }),
  );
  acknowledgeWildcard(
    role,
    'Resource::*',
    "cloudwatch:PutMetricData has no resource type; the statement's namespace condition limits it to the KCL application's metrics.",
  );
}

/** The producer: PutRecords (and PutRecord) on the one stream. */
export function grantProducer(role: iam.IGrantable, stream: kinesis.IStream): void {
  const principal = role.grantPrincipal;
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kinesis:PutRecords', 'kinesis:PutRecord', 'kinesis:DescribeStreamSummary'],
      resources: [stream.streamArn],
    }),
  );
}
