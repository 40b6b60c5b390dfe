// The Redis connection and the `retrain` queue (under QUEUE_PREFIX), closed when the app closes.
// Redis being away is a state, not a hang: the connection keeps reconnecting, /ready reports it,
// and a request that needs Redis gets a 503 with the reason at once (not connected) or within the
// command timeout (connected but not answering), through redisCall.
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Config } from '../../lib/config.js';
import { DependencyError } from '../../lib/errors.js';
import { createRedis, reportConnection } from '../../lib/redis.js';
import { type RetrainQueue, retrainQueue } from '../../lib/retrainQueue.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    retrainQueue: RetrainQueue;
    /** True while the connection is up (a command may still time out). */
    redisUp(): boolean;
    /** Runs a call that needs Redis; a DependencyError (a 503) naming what failed when Redis is away or silent. */
    redisCall<T>(what: string, call: () => Promise<T>): Promise<T>;
  }
}

export default fp(
  async (app, { config }: { config: Config }) => {
    // No offline queue: while disconnected a command fails at once instead of waiting, so a
    // refused /retrain is never queued behind the client's back to run when Redis returns.
    const redis = createRedis(config.redisUrl, { enableOfflineQueue: false });
    reportConnection(redis, app.log, 'commands');
    const queue = retrainQueue(config, redis);
    // The connection's own errors are reported above; anything else the queue says is logged.
    queue.on('error', (err) => {
      if (redis.status === 'ready') app.log.warn({ err }, 'retrain queue error');
    });
    const redisUp = () => redis.status === 'ready';
    app.decorate('redis', redis);
    app.decorate('retrainQueue', queue);
    app.decorate('redisUp', redisUp);
    app.decorate('redisCall', async <T>(what: string, call: () => Promise<T>): Promise<T> => {
      // BullMQ waits, without a bound, for a connection that has never been ready: ask first.
      if (!redisUp()) {
        throw new DependencyError('Redis', what, new Error(`not connected (${redis.status})`));
      }
      try {
        return await call();
      } catch (error) {
        throw new DependencyError('Redis', what, error);
      }
    });
    app.addHook('onClose', async () => {
      await queue.close();
      redis.disconnect();
    });
  },
  { name: 'redis' },
);
