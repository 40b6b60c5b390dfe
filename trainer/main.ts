// `brewstream trainer`: the retrain worker, plus the optional repeatable retrain schedule.
import { s3Client } from '../lib/aws.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createBlockingRedis, createRedis } from '../lib/redis.js';
import { RETRAIN_SCHEDULER_ID, retrainQueue } from '../lib/retrainQueue.js';
import { onShutdown } from '../lib/shutdown.js';
import { scheduleOptions, startWorker } from './worker.js';

export async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('trainer', { level: config.logLevel });
  // The worker blocks on its connection (BullMQ requires no command timeout there); publishing and
  // the queue's own calls get bounded commands, so a Redis that is away fails them instead of hanging.
  const connection = createBlockingRedis(config.redisUrl);
  const publisher = createRedis(config.redisUrl);
  const queue = retrainQueue(config, createRedis(config.redisUrl));
  publisher.on('error', () => {}); // a failed publish is logged where it happens
  const s3 = s3Client(config);
  if (config.trainer.scheduleEvery) {
    const repeat = scheduleOptions(config.trainer.scheduleEvery);
    await queue.upsertJobScheduler(RETRAIN_SCHEDULER_ID, repeat, {
      name: 'retrain',
      data: { reason: 'schedule' },
    });
    logger.info({ repeat }, 'retrain schedule set');
  } else {
    await queue.removeJobScheduler(RETRAIN_SCHEDULER_ID);
  }
  const worker = startWorker({ config, s3, connection, publisher, queue, logger });
  logger.info({ queue: queue.name, prefix: config.queuePrefix }, 'trainer waiting for retrain jobs');
  onShutdown(logger, async () => {
    await worker.close(); // waits for the job in hand
    await queue.close();
    connection.disconnect();
    publisher.disconnect();
    s3.destroy();
  });
  await new Promise(() => {});
}
