// One S3 client for the app (models and cleaned-table reads), destroyed when the app closes, and
// the model registry over it: routes and the model holder read the registry through `app.registry`
// and never spell one of its keys.
import type { S3Client } from '@aws-sdk/client-s3';
import fp from 'fastify-plugin';
import { s3Client } from '../../lib/aws.js';
import type { Config } from '../../lib/config.js';
import { type ModelRegistry, modelRegistry } from '../../lib/modelRegistry.js';

declare module 'fastify' {
  interface FastifyInstance {
    s3: S3Client;
    registry: ModelRegistry;
  }
}

export default fp(
  async (app, { config }: { config: Config }) => {
    const s3 = s3Client(config);
    app.decorate('s3', s3);
    app.decorate('registry', modelRegistry(s3, config.buckets.models));
    app.addHook('onClose', async () => s3.destroy());
  },
  { name: 's3' },
);
