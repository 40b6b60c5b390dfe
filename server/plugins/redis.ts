// The Redis connection and the `retrain` queue (under QUEUE_PREFIX), closed when the app closes.

import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Config } from '../../lib/config.js';
import { createRedis } from '../../lib/redis.js';
import { type RetrainQueue, retrainQueue } from '../../lib/retrainQueue.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    retrainQueue: RetrainQueue;
  }
}

export default fp(
  async (app, { config }: { config: Config }) => {
    const redis = createRedis(config.redisUrl);
    redis.on('error', (err) => app.log.warn({ err }, 'redis connection error'));
    const queue = retrainQueue(config, redis);
    queue.on('error', (err) => app.log.warn({ err }, 'retrain queue error'));
    app.decorate('redis', redis);
    app.decorate('retrainQueue', queue);
    app.addHook('onClose', async () => {
      await queue.close();
      redis.disconnect();
    });
  },
  { name: 'redis' },
);
