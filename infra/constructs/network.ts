// The VPC every service runs in: public subnets for the load balancer and NAT, private ones for
// the tasks and Redis. S3 and DynamoDB (the KCL lease table) are reached through gateway endpoints,
// which cost nothing. Everything else the tasks send goes out through NAT, priced per GB: the
// consumer's Kinesis reads (every record once, plus its empty polls), image pulls, logs, metrics
// and secrets (the producer Lambda runs outside the VPC). With kinesisVpcEndpoint the Kinesis
// calls use an interface endpoint instead, priced per hour and AZ: worth it once the stream
// carries a few hundred GB a month (docs/aws.md "Costs").
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Settings } from '../settings.js';

export class Network extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: settings.maxAzs,
      natGateways: settings.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    if (settings.kinesisVpcEndpoint) {
      // Private DNS: the SDK's usual kinesis.<region> name resolves to the endpoint inside the VPC.
      const endpoint = this.vpc.addInterfaceEndpoint('Kinesis', {
        service: ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
        privateDnsEnabled: true,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      });
      Validations.of(endpoint).acknowledge({
        id: 'AwsSolutions-EC23',
        reason:
          "The endpoint admits HTTPS from the VPC's own CIDR only, a CloudFormation reference cdk-nag cannot read.",
      });
    }
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: settings.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
  }
}
