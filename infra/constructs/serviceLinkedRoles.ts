// The service-linked roles ECS needs, created at the start of the deploy if the account has none.
// AWS creates them on first use, but in a brand-new account the first use is this stack's own
// CreateService and RegisterScalableTarget (the template names the Application Auto Scaling role
// by ARN), and a role created in that same moment is not yet usable: the deploy fails and rolls
// back after ElastiCache's quarter of an hour. Created here, before anything that needs them (the
// services wait for Redis anyway), they have long been usable when ECS asks.
//
// A role that already exists is not an error: CreateServiceLinkedRole answers InvalidInput ("has
// been taken in this account"), which is the only InvalidInput these fixed, valid parameters can
// get. Nothing is deleted with the stack: a service-linked role belongs to the account and its
// other users of ECS.
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { Settings } from '../settings.js';

/** Each service whose role the stack makes sure of, with the role's path and name (IAM's fixed ones). */
export const SERVICE_LINKED_ROLES = {
  'ecs.amazonaws.com': 'aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS',
  'ecs.application-autoscaling.amazonaws.com':
    'aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
} as const;

/** What CreateServiceLinkedRole answers when the role exists; the custom resource ignores it. */
export const ROLE_EXISTS_ERROR = 'InvalidInput';

export class ServiceLinkedRoles extends Construct {
  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id);
    const stack = Stack.of(this);
    // The custom resource's Lambda logs here, deleted with the stack (not a group Lambda makes
    // on its own and leaves behind).
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: settings.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const roleArn = (rolePath: string) => `arn:${stack.partition}:iam::${stack.account}:role/${rolePath}`;
    const policy = cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        actions: ['iam:CreateServiceLinkedRole'],
        resources: Object.values(SERVICE_LINKED_ROLES).map(roleArn),
        conditions: { StringEquals: { 'iam:AWSServiceName': Object.keys(SERVICE_LINKED_ROLES) } },
      }),
    ]);
    for (const [service, rolePath] of Object.entries(SERVICE_LINKED_ROLES)) {
      const name = rolePath.split('/').at(-1) as string;
      new cr.AwsCustomResource(this, name, {
        resourceType: 'Custom::ServiceLinkedRole',
        onCreate: {
          service: 'IAM',
          action: 'createServiceLinkedRole',
          parameters: { AWSServiceName: service },
          physicalResourceId: cr.PhysicalResourceId.of(name),
          ignoreErrorCodesMatching: ROLE_EXISTS_ERROR,
        },
        policy,
        logGroup,
        installLatestAwsSdk: false,
      });
    }
    const provider = stack.node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's AwsCustomResource function runs with AWSLambdaBasicExecutionRole (writing its own logs); it runs once per deploy.",
      });
    }
  }
}
