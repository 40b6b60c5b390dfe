// What each role may do, statement by statement: the S3 prefixes of docs/design.md's contracts, the
// stream, the KCL lease table. Written out rather than through grantReadWrite(), whose wildcard
// actions (s3:GetObject*, s3:DeleteObject*, ...) give roles more than they use.
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';

/** The CloudFormation logical id of a construct's resource, as cdk-nag names it in a finding. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Acknowledges one cdk-nag IAM5 finding (a wildcard) on a role, with the reason it is needed. */
export function acknowledgeWildcard(role: IConstruct, finding: string, reason: string): void {
  Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}

/** What a role may do with the objects under one prefix. */
export type ObjectAccess = 'read' | 'write' | 'delete';

const OBJECT_ACTIONS: Record<ObjectAccess, string[]> = {
  // GetObject also covers HeadObject.
  read: ['s3:GetObject'],
  // Uploads through @aws-sdk/lib-storage go multipart above 5 MiB; conditional puts
  // (If-None-Match) are still s3:PutObject.
  write: ['s3:PutObject', 's3:AbortMultipartUpload'],
  delete: ['s3:DeleteObject'],
};

/**
 * One role's access to one bucket: s3:ListBucket on the bucket, and per prefix the object actions
 * it needs.
 *
 * ListBucket carries no s3:prefix condition, on purpose. A GetObject or HeadObject of a key that
 * does not exist answers 404 only to a caller allowed s3:ListBucket on the bucket, and 403 to
 * everyone else; that check is made with the GetObject request, which has no s3:prefix, so a
 * ListBucket limited by prefix never applies to it. Every role here reads a key that may be
 * missing (champion.json before the first model, a snapshot, a batch's object before it is
 * written), and code tells "missing" from "forbidden" by 404 against 403. The cost is that a role
 * may list key names anywhere in a bucket it uses; objects stay limited to their prefixes.
 * test/infra/iam.test.ts simulates both answers.
 */
export function grantBucket(
  role: iam.IRole,
  bucket: s3.IBucket,
  prefixes: Record<string, ObjectAccess[]>,
): void {
  const principal = role.grantPrincipal;
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
  );
  for (const [prefix, access] of Object.entries(prefixes)) {
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: access.flatMap((a) => OBJECT_ACTIONS[a]),
        resources: [bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    acknowledgeWildcard(
      role,
      `Resource::<${logicalId(bucket)}.Arn>/${prefix}*`,
      `The objects under ${prefix} (docs/design.md contracts); S3 names a prefix only with a wildcard.`,
    );
  }
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
      // Polling only (consumer.properties sets retrievalMode = POLLING): KCL 2.7's polling path
      // calls these three; DescribeStreamSummary and the consumer registration are fan-out's.
      actions: ['kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords'],
      resources: [options.stream.streamArn],
    }),
  );
  // KCL 2.7 keeps leases in one table (3.x adds a coordinator state and a worker metrics table):
  // DescribeTable to find it (the stack creates it, so no CreateTable), Scan to list leases.
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
      actions: ['kinesis:PutRecords', 'kinesis:PutRecord'],
      resources: [stream.streamArn],
    }),
  );
}

/**
 * Reading one secret's value (the server's API keys, re-read while it runs): GetSecretValue on that
 * secret only, not DescribeSecret or any other secret. It is encrypted with Secrets Manager's
 * AWS managed key, which Secrets Manager uses on the caller's behalf: no kms:Decrypt here.
 */
export function grantSecretValue(role: iam.IGrantable, secret: secretsmanager.ISecret): void {
  role.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
  );
}
