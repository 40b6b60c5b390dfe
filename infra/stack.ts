// The whole pipeline as one stack, assembled from one construct per concern. Read top-down, it is
// docs/design.md's pipeline: storage, stream and raw delivery, Redis, the services, the producer, alarms.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Cache } from './constructs/cache.js';
import { Monitoring } from './constructs/monitoring.js';
import { Network } from './constructs/network.js';
import { Producer } from './constructs/producer.js';
import { ServiceLinkedRoles } from './constructs/serviceLinkedRoles.js';
import { Services } from './constructs/services.js';
import { Storage } from './constructs/storage.js';
import { Stream } from './constructs/stream.js';
import type { Settings } from './settings.js';

export class BrewstreamStack extends Stack {
  constructor(scope: Construct, id: string, settings: Settings, props: StackProps = {}) {
    super(scope, id, {
      description: 'brewstream: Kinesis stream processing and IBU model serving',
      ...props,
    });

    const { vpc } = new Network(this, 'Network', settings);
    const storage = new Storage(this, 'Storage', settings);
    const stream = new Stream(this, 'Stream', settings, storage.raw);
    const cache = new Cache(this, 'Cache', settings, vpc);
    const services = new Services(this, 'Services', { settings, vpc, storage, stream, cache });
    // Every service, task and scaling target waits for ECS's roles to exist.
    services.node.addDependency(new ServiceLinkedRoles(this, 'ServiceLinkedRoles', settings));
    const producer = new Producer(this, 'Producer', settings, stream.stream);
    const monitoring = new Monitoring(this, 'Monitoring', {
      settings,
      stream,
      cluster: services.cluster,
      services: services.services,
      logs: services.logGroups,
      loadBalancer: services.loadBalancer,
      targetGroup: services.targetGroup,
      producer: producer.fn,
      cache: { id: cache.id, nodes: cache.nodes },
    });

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output(
      'ApiUrl',
      services.url,
      settings.certificateArn && !settings.domainName
        ? "Prediction API (POST /predict, /docs): the load balancer's name, which the certificate does not cover; point a DNS name at it and set domainName"
        : 'Prediction API (POST /predict, /docs for OpenAPI)',
    );
    output('DashboardUrl', `${services.url}/admin/queues`, 'BullMQ dashboard (needs an API key)');
    output(
      'ApiKeysSecret',
      services.apiKeys.secretName,
      'Secrets Manager secret holding the API keys, comma-separated; the server re-reads it every 5 minutes',
    );
    output('StreamName', stream.stream.streamName, 'Kinesis stream the producer puts beers on');
    output('RawBucket', storage.raw.bucketName, 'Firehose raw delivery (YYYY/MM/DD/HH/)');
    output(
      'CleanedBucket',
      storage.cleaned.bucketName,
      'Cleaned rows (rows/dt=.../) and dead letters (rejected/)',
    );
    output('ModelsBucket', storage.models.bucketName, 'Model registry (models/ibu/)');
    output(
      'GlueTable',
      `${settings.glueDatabase}.${settings.glueTable}`,
      'Athena: the cleaned table, one row per beer (also <table>_history, every arrival)',
    );
    output('ProducerFunction', producer.fn.functionName, 'Invoke with {"replay": true} to seed the stream');
    output('AlarmTopic', monitoring.topic.topicArn, 'SNS topic of every alarm');
    output(
      'KclApplication',
      settings.applicationName,
      'The cleaned consumer: its KCL lease table and metrics namespace',
    );
    output(
      'LogGroups',
      `/brewstream/${this.stackName}/`,
      'CloudWatch log groups: consumer, trainer, server, producer',
    );
  }
}
