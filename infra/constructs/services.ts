// The three long-running roles on ECS Fargate, all from the one image (Dockerfile) with the role
// as its command: the cleaned KCL consumer, the trainer worker, and the server behind a load
// balancer. Each has its own log group, task role and security group.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Duration, IgnoreMode, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { repoRoot } from '../paths.js';
import type { Settings } from '../settings.js';
import type { Cache } from './cache.js';
import { acknowledgeWildcard, grantBucket, grantKclConsumer, grantSecretValue } from './grants.js';
import { generatedSecret } from './secrets.js';
import type { Storage } from './storage.js';
import type { Stream } from './stream.js';

export type Role = 'consumer' | 'trainer' | 'server';

/** The container command of each role: `node dist/bin/brewstream.js <command>` (the image's entrypoint). */
export const ROLE_COMMANDS: Record<Role, string[]> = {
  consumer: ['consumer', 'cleaned'],
  trainer: ['trainer'],
  server: ['server'],
};

const SERVER_PORT = 3000;

/**
 * The image's build context: the files the Dockerfile's build needs (the manifests, tsconfig.json
 * and the folders it compiles), nothing else. An allow-list, because a deny-list misses what it
 * cannot name: a cloud assembly synthesised into some folder of the repository (`cdk synth -o
 * out`) holds a staged copy of the repository, and each later synth into another folder copied the
 * earlier one in again, nesting until a path was too long. CDK puts .dockerignore's patterns first
 * and these after them, and the last matching pattern wins, so .dockerignore's patterns come again
 * at the end: what it leaves out (tests, benchmarks, infra/) stays out even where the compiled
 * folders would let it in, and an edit there changes neither the image nor its asset hash. A file
 * the image needs outside these folders goes in IMAGE_EXTRAS (test/container/dockerfile.test.ts
 * checks that everything the Dockerfile copies from its context is let in).
 */
export function imageContextExcludes(compiledFolders: string[], dockerignore: string[] = []): string[] {
  const needed = ['package.json', 'package-lock.json', 'tsconfig.json', ...compiledFolders, ...IMAGE_EXTRAS];
  return ['*', ...needed.map((name) => `!${name}`), ...dockerignore];
}

/** Outside the compiled folders, what the Dockerfile copies: scripts/slim-node-modules.sh and the jar step's pin-kcl-jars.js. */
export const IMAGE_EXTRAS = ['scripts'];

/** .dockerignore's patterns, as CDK reads them (comments and blank lines left out). */
export function dockerignorePatterns(root: string): string[] {
  return readFileSync(path.join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The folders tsconfig.json compiles (its include list). */
export function compiledFolders(root: string): string[] {
  return JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8')).include;
}

/**
 * How the image is built from the repository at `root`: its build context, and amd64 (tfjs-node
 * ships libtensorflow for x86_64 Linux only).
 */
export function imageAssetOptions(root: string): ecs.AssetImageProps {
  return {
    platform: Platform.LINUX_AMD64,
    exclude: imageContextExcludes(compiledFolders(root), dockerignorePatterns(root)),
    ignoreMode: IgnoreMode.DOCKER,
  };
}

interface ServicesProps {
  settings: Settings;
  vpc: ec2.IVpc;
  storage: Storage;
  stream: Stream;
  cache: Cache;
}

export class Services extends Construct {
  readonly cluster: ecs.Cluster;
  readonly logGroups: Record<Role, logs.LogGroup>;
  readonly services: Record<Role, ecs.FargateService>;
  readonly leaseTable: dynamodb.Table;
  readonly apiKeys: secretsmanager.Secret;
  readonly sessionSecret: secretsmanager.Secret;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ServicesProps) {
    super(scope, id);
    const { settings, vpc, storage, stream, cache } = props;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    // Built by `cdk deploy` from the repository's Dockerfile.
    const image = ecs.ContainerImage.fromAsset(repoRoot, imageAssetOptions(repoRoot));

    // The server reads it itself (API_KEYS_SECRET_ARN) and re-reads it while it runs, so a key is
    // added or removed without replacing a task (docs/aws.md "Reaching it").
    this.apiKeys = generatedSecret(this, 'ApiKeys', {
      description: 'brewstream server API keys: comma-separated, each at least 16 visible ASCII characters',
      length: 40,
      whyNoRotation:
        'API keys are handed out to people and rotated by an operator (add the new key, then drop the old one), not by a Lambda.',
    });
    // Signs the dashboard's session cookies; every server task needs the same one.
    this.sessionSecret = generatedSecret(this, 'SessionSecret', {
      description: 'brewstream server: signs dashboard session cookies (SESSION_SECRET)',
      length: 64,
      whyNoRotation:
        'Replacing it only ends the open dashboard sessions; an operator does it by hand, then restarts the server tasks.',
    });

    // KCL's lease and checkpoint table (named after the application, as the MultiLangDaemon expects),
    // created here so the consumer needs no dynamodb:CreateTable and the table goes with the stack.
    this.leaseTable = new dynamodb.Table(this, 'LeaseTable', {
      tableName: settings.applicationName,
      partitionKey: { name: 'leaseKey', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const shared: Record<string, string> = {
      AWS_REGION: Stack.of(this).region,
      LOG_LEVEL: 'info',
      STREAM_NAME: stream.stream.streamName,
      RAW_BUCKET: storage.raw.bucketName,
      CLEANED_BUCKET: storage.cleaned.bucketName,
      MODELS_BUCKET: storage.models.bucketName,
      REDIS_URL: cache.url,
    };
    const redisPassword = ecs.Secret.fromSecretsManager(cache.authToken);

    const role = (name: Role, size: { cpu: number; memoryMiB: number }, extra: ContainerExtras) => {
      const logGroup = new logs.LogGroup(this, `${title(name)}Logs`, {
        logGroupName: `/brewstream/${Stack.of(this).stackName}/${name}`,
        retention: settings.logRetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const task = new ecs.FargateTaskDefinition(this, `${title(name)}Task`, {
        cpu: size.cpu,
        memoryLimitMiB: size.memoryMiB,
        runtimePlatform: {
          cpuArchitecture: ecs.CpuArchitecture.X86_64,
          operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        },
      });
      const container = task.addContainer(name, {
        image,
        command: ROLE_COMMANDS[name],
        environment: { ...shared, ...extra.environment },
        secrets: { REDIS_PASSWORD: redisPassword, ...extra.secrets },
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: name }),
        portMappings: extra.port ? [{ containerPort: extra.port }] : [],
        // Fargate's longest: time to flush a batch and checkpoint, or finish a training epoch.
        stopTimeout: Duration.seconds(extra.stopTimeoutS),
        // An init process as PID 1 forwards signals and reaps the consumer's processor children.
        linuxParameters: new ecs.LinuxParameters(this, `${title(name)}Linux`, { initProcessEnabled: true }),
        // Nothing writes outside /tmp (the consumer's rendered properties, the JVM's perf data),
        // which is a task volume; the image declares VOLUME /tmp so Fargate copies its
        // permissions (world-writable) into the volume for the non-root user.
        readonlyRootFilesystem: true,
        healthCheck: extra.healthCheck,
      });
      task.addVolume({ name: 'tmp' });
      container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });
      // Pulling from ECR starts with GetAuthorizationToken, which has no resource type.
      task.obtainExecutionRole();
      acknowledgeWildcard(
        task.executionRole as iam.IRole,
        'Resource::*',
        'ecr:GetAuthorizationToken (image pull) has no resource-level permissions; every other statement names its resource.',
      );
      Validations.of(task).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason:
          "The environment holds resource names, tuning and the API keys secret's ARN; the Redis token, the session secret and the API keys themselves come from Secrets Manager.",
      });
      const service = new ecs.FargateService(this, `${title(name)}Service`, {
        cluster: this.cluster,
        taskDefinition: task,
        desiredCount: extra.desiredCount,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        circuitBreaker: { rollback: true },
        // The trainer and consumer hand work back on SIGTERM; no need for a second copy during a deploy.
        minHealthyPercent: extra.port ? 100 : 0,
        maxHealthyPercent: 200,
      });
      cache.allowFrom(service.connections.securityGroups[0] as ec2.ISecurityGroup);
      return { logGroup, task, service };
    };

    const consumer = role('consumer', settings.consumer, {
      environment: {
        KCL_DAEMON: 'amazon',
        KCL_APPLICATION_NAME: settings.applicationName,
        // A shard serves 5 GetRecords a second to all readers together, and Firehose takes one.
        KCL_POLL_INTERVAL_MS: String(settings.consumer.pollIntervalMs),
        // A task runs one processor per lease: never more than its memory was sized for.
        KCL_MAX_LEASES_PER_WORKER: String(settings.consumer.shardsPerTask),
      },
      desiredCount: settings.consumer.tasks,
      stopTimeoutS: 120,
    });
    grantKclConsumer(consumer.task.taskRole, {
      stream: stream.stream,
      leaseTableArn: this.leaseTable.tableArn,
      applicationName: settings.applicationName,
    });
    // Rows: written once per batch (a conditional put), read back (HEAD) to check a rewrite, and
    // listed to align a replayed batch with the object already written (docs/design.md).
    grantBucket(consumer.task.taskRole, storage.cleaned, {
      'rows/': ['read', 'write'],
      'rejected/': ['write'],
    });

    const trainer = role('trainer', settings.trainer, {
      // The task's memory was checked against this bound (infra/settings.ts trainerMemoryNeeded).
      environment: { TRAIN_MAX_ROWS: String(settings.trainer.maxRows) },
      desiredCount: 1,
      stopTimeoutS: 120,
    });
    // snapshots/: the compacted table the trainer writes and replaces (docs/design.md).
    grantBucket(trainer.task.taskRole, storage.cleaned, {
      'rows/': ['read'],
      'snapshots/': ['read', 'write', 'delete'],
    });
    grantBucket(trainer.task.taskRole, storage.models, { 'models/': ['read', 'write'] });

    const server = role('server', settings.server, {
      environment: {
        HOST: '0.0.0.0',
        PORT: String(SERVER_PORT),
        PREDICT_REQUIRES_KEY: String(settings.predictRequiresKey),
        // One proxy in front (the ALB): request.ip is the address the ALB saw, for the rate
        // limiter and the logs, never an X-Forwarded-For entry a client wrote itself.
        TRUST_PROXY: '1',
        RATE_LIMIT_PER_MINUTE: String(settings.server.rateLimitPerMinute),
        API_KEYS_SECRET_ARN: this.apiKeys.secretArn,
      },
      secrets: { SESSION_SECRET: ecs.Secret.fromSecretsManager(this.sessionSecret) },
      port: SERVER_PORT,
      // No desired count: CloudFormation would set the service back to it on every update that
      // touches the service (each new image), scaling a loaded service in mid-deploy. ECS starts
      // a new service with one task, and the scalable target's minimum (serverMinTasks) raises it.
      stopTimeoutS: 30,
      // Liveness only (the process answers); readiness is the load balancer's /ready check.
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${SERVER_PORT}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
    });
    // predictions/: the inference log, written and never read back by the server (Athena reads it).
    grantBucket(server.task.taskRole, storage.cleaned, {
      'rows/': ['read'],
      'snapshots/': ['read'],
      'predictions/': ['write'],
    });
    grantBucket(server.task.taskRole, storage.models, { 'models/': ['read'] });
    grantSecretValue(server.task.taskRole, this.apiKeys);

    this.logGroups = { consumer: consumer.logGroup, trainer: trainer.logGroup, server: server.logGroup };
    this.services = { consumer: consumer.service, trainer: trainer.service, server: server.service };

    // The public side: an Application Load Balancer in the public subnets.
    const albSecurityGroup = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc,
      description: 'brewstream load balancer: HTTP(S) from allowedCidr',
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(storage.accessLogs, 'alb');
    // Its own construct, not listener.addTargets(): its logical id then stays the same whether
    // the Http or the Https listener forwards to it, so adding a certificate keeps the group.
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'ServerTargets', {
      vpc,
      port: SERVER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [server.service],
      // /ready is 503 until the registry has been read (and while a named champion does not
      // load): such a task takes no traffic.
      healthCheck: {
        path: '/ready',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      deregistrationDelay: Duration.seconds(15),
    });
    const forward = elbv2.ListenerAction.forward([this.targetGroup]);
    // Port 80 is always this one listener (same construct id, so the same logical id): adding a
    // certificate to a running stack changes its action to a redirect in place, where a second
    // port-80 listener (what addRedirect() makes) would collide with it (DuplicateListener).
    // open: false everywhere, so allowedCidr alone decides who reaches either port.
    this.loadBalancer.addListener('Http', {
      port: 80,
      open: false,
      defaultAction: settings.certificateArn
        ? elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true })
        : forward,
    });
    if (settings.certificateArn) {
      this.loadBalancer.addListener('Https', {
        port: 443,
        open: false,
        certificates: [elbv2.ListenerCertificate.fromArn(settings.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultAction: forward,
      });
    }
    const ports = settings.certificateArn ? [80, 443] : [80];
    for (const port of ports) {
      albSecurityGroup.addIngressRule(ec2.Peer.ipv4(settings.allowedCidr), ec2.Port.tcp(port));
    }
    if (settings.allowedCidr === '0.0.0.0/0') {
      Validations.of(albSecurityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason:
          'The prediction API is public by design; narrow it with the allowedCidr context value. Guarded routes need an API key.',
      });
    }

    const scaling = server.service.autoScaleTaskCount({
      minCapacity: settings.server.minTasks,
      maxCapacity: settings.server.maxTasks,
    });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: settings.server.cpuTargetPercent });
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: settings.server.requestsPerTarget,
      targetGroup: this.targetGroup,
    });

    // The name a certificate covers is the domain's, not the load balancer's.
    const scheme = settings.certificateArn ? 'https' : 'http';
    this.url = `${scheme}://${settings.domainName ?? this.loadBalancer.loadBalancerDnsName}`;
  }
}

interface ContainerExtras {
  environment: Record<string, string>;
  healthCheck?: ecs.HealthCheck;
  secrets?: Record<string, ecs.Secret>;
  port?: number;
  /** Left out for an autoscaled service, whose task count belongs to Application Auto Scaling. */
  desiredCount?: number;
  stopTimeoutS: number;
}

const title = (s: string) => s[0]?.toUpperCase() + s.slice(1);
