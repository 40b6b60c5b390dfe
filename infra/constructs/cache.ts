// Redis for BullMQ and the model:promoted channel: ElastiCache in the private subnets, TLS in
// transit, encrypted at rest, an AUTH token from Secrets Manager, reachable only from the security
// groups that `allowFrom` names (the consumer, trainer and server services).
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Settings } from '../settings.js';
import { generatedSecret } from './secrets.js';

// Not Redis's default 6379: one less thing a scan of the VPC finds by guessing.
const PORT = 6380;

export class Cache extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  readonly authToken: secretsmanager.Secret;
  /** `rediss://host:port`; the password comes separately as REDIS_PASSWORD. */
  readonly url: string;
  /** The replication group id (its nodes are <id>-001, -002, ...) and how many nodes it has. */
  readonly id: string;
  readonly nodes: number;

  constructor(scope: Construct, id: string, settings: Settings, vpc: ec2.IVpc) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'brewstream Redis: only the brewstream services may connect',
      allowAllOutbound: false,
    });
    // ElastiCache tokens are 16-128 printable characters without @, " or /.
    this.authToken = generatedSecret(this, 'AuthToken', {
      description: 'brewstream Redis AUTH token',
      length: 64,
      whyNoRotation:
        'Rotating an ElastiCache AUTH token needs the ROTATE/SET sequence on the replication group; done by an operator, not a rotation Lambda.',
    });

    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'brewstream Redis private subnets',
      subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });
    // BullMQ keeps jobs and locks in Redis: an evicted key is a lost job, so never evict.
    const parameters = new elasticache.CfnParameterGroup(this, 'Parameters', {
      cacheParameterGroupFamily: 'redis7',
      description: 'brewstream: BullMQ needs maxmemory-policy noeviction',
      properties: { 'maxmemory-policy': 'noeviction' },
    });
    this.id = settings.cacheId;
    this.nodes = 1 + settings.cacheReplicas;
    const group = new elasticache.CfnReplicationGroup(this, 'Redis', {
      // Named (from the stack name) so the memory alarm can name its nodes' metrics.
      replicationGroupId: this.id,
      replicationGroupDescription: 'brewstream queues and pub/sub',
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: settings.cacheNodeType,
      numCacheClusters: this.nodes,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      port: PORT,
      cacheSubnetGroupName: subnets.ref,
      cacheParameterGroupName: parameters.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: 1,
    });
    this.url = `rediss://${group.attrPrimaryEndPointAddress}:${PORT}`;
  }

  allowFrom(peer: ec2.ISecurityGroup): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(PORT), 'brewstream service to Redis');
  }
}
