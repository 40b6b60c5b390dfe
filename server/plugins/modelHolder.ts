// Keeps the champion loaded: reads it at start, reloads on each `model:promoted` message (only a
// hint: champion.json in our own bucket is the truth, other stacks share the channel) and polls
// champion.json every CHAMPION_POLL_MS in case a message was missed. Predictions go through
// a micro-batcher in front of the holder.
import fp from 'fastify-plugin';
import type { Config } from '../../lib/config.js';
import { MODEL_PROMOTED_CHANNEL, reportConnection, subscription } from '../../lib/redis.js';
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
    const holder = new ModelHolder(
      tf,
      {
        readChampion: async () => (await app.registry.champion())?.version,
        load: (version) => app.registry.loadVersion(tf, version),
      },
      app.log.child({ component: 'model-holder' }),
    );
    app.decorate('models', holder);
    app.decorate(
      'predictions',
      new MicroBatcher((rows) => holder.predict(rows), { windowMs: batchWindowMs, maxRows: batchMaxRows }),
    );

    // Never awaited: the server listens and serves whether Redis is there or not. The
    // subscription is made whenever the connection is up, at start or after an outage.
    const subscriber = subscription(config.redisUrl, MODEL_PROMOTED_CHANNEL, {
      message: (message) => {
        app.log.info({ message }, 'model:promoted received; re-reading champion.json');
        void holder.refresh(true);
      },
      subscribed: () => {
        app.log.info({ channel: MODEL_PROMOTED_CHANNEL }, 'subscribed');
        // A promotion announced while the subscription was away would otherwise wait for the poll.
        void holder.refresh();
      },
      error: (err) => app.log.warn({ err }, 'could not subscribe; retried on reconnection'),
    });
    reportConnection(subscriber, app.log, 'model:promoted subscription');
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
