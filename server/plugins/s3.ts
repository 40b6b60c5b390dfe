// One S3 client for the app (models and cleaned-table reads), destroyed when the app closes.
import type { S3Client } from '@aws-sdk/client-s3';
import fp from 'fastify-plugin';
import { s3Client } from '../../lib/aws.js';
import type { Config } from '../../lib/config.js';

declare module 'fastify' {
  interface FastifyInstance {
    s3: S3Client;
  }
}

export default fp(
  async (app, { config }: { config: Config }) => {
    const s3 = s3Client(config);
    app.decorate('s3', s3);
    app.addHook('onClose', async () => s3.destroy());
  },
  { name: 's3' },
);
