// Keeps the champion loaded: reads it at start, reloads on each `model:promoted` message (only a
// hint: champion.json in our own bucket is the truth, other stacks share the channel) and polls
// champion.json every CHAMPION_POLL_MS in case a message was missed. Predictions go through
// a micro-batcher in front of the holder.
import fp from 'fastify-plugin';
import type { Config } from '../../lib/config.js';
import { loadModelFromS3, readChampion, readMetadata } from '../../lib/modelRegistry.js';
import { createRedis, MODEL_PROMOTED_CHANNEL } from '../../lib/redis.js';
import type { Tf } from '../../lib/tfjs.js';
import { MicroBatcher } from '../microBatcher.js';
import { ModelHolder } from '../modelHolder.js';

declare module 'fastify' {
  interface FastifyInstance {
    models: ModelHolder;
    predictions: MicroBatcher;
  }
}

export interface ModelHolderOptions {
  config: Config;
  tf: Tf;
  /** 0 = one event-loop turn (default). */
  batchWindowMs?: number;
  batchMaxRows?: number;
}

export default fp(
  async (app, { config, tf, batchWindowMs = 0, batchMaxRows = 1024 }: ModelHolderOptions) => {
    const bucket = config.buckets.models;
    const holder = new ModelHolder(
      tf,
      {
        readChampion: async () => (await readChampion(app.s3, bucket))?.version,
        load: async (version) => {
          const metadata = await readMetadata(app.s3, bucket, version);
          if (!metadata) throw new Error(`models/ibu/${version}/metadata.json not found`);
          const model = await loadModelFromS3(tf, app.s3, bucket, version);
          return { model, metadata };
        },
      },
      app.log.child({ component: 'model-holder' }),
    );
    app.decorate('models', holder);
    app.decorate(
      'predictions',
      new MicroBatcher((rows) => holder.predict(rows), { windowMs: batchWindowMs, maxRows: batchMaxRows }),
    );

    const subscriber = createRedis(config.redisUrl);
    subscriber.on('error', (err) => app.log.warn({ err }, 'redis subscriber error'));
    subscriber.on('message', (_channel, message) => {
      app.log.info({ message }, 'model:promoted received; re-reading champion.json');
      void holder.refresh(true);
    });
    await subscriber.subscribe(MODEL_PROMOTED_CHANNEL);
    const poll = setInterval(() => void holder.refresh(), config.server.championPollMs);
    poll.unref();

    // Start listening without waiting for a model: /ready says when one is loaded.
    void holder.refresh();

    app.addHook('onClose', async () => {
      clearInterval(poll);
      subscriber.disconnect();
      await holder.close();
    });
  },
  { name: 'model-holder', dependencies: ['s3'] },
);
