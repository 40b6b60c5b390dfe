// `brewstream consumer <cleaned|raw>` on one machine (KCL_DAEMON=local, the default): our MultiLang
// daemon against the Kinesis stand-in, checkpoints and lease in Redis. On AWS the same command runs
// Amazon's daemon instead (consumers/amazon/main.ts); bin/brewstream.ts picks one.
import { applicationName, consumerName, processorCommand } from '../../consumers/application.js';
import { kinesisClient } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { createRedis } from '../../lib/redis.js';
import { onShutdown } from '../../lib/shutdown.js';
import { startDaemon } from './daemon.js';

export async function main(args: string[]): Promise<void> {
  const name = consumerName('consumer', args);
  const config = loadConfig();
  const logger = createLogger(`consumer-${name}`, { level: config.logLevel });
  // Checkpoints and the lease: bounded commands, so a Redis that is away is an error to retry (with
  // a log line), never a hang.
  const redis = createRedis(config.redisUrl);
  redis.on('error', () => {}); // reported by the calls that fail
  const kinesis = kinesisClient(config);
  const daemon = await startDaemon({
    kinesis,
    redis,
    applicationName: applicationName(config, name),
    streamName: config.streamName,
    command: processorCommand(config, name),
    env: process.env,
    pollIntervalMs: config.consumer.pollIntervalMs,
    maxRecords: config.consumer.maxRecordsPerPoll,
    leaseTtlMs: config.consumer.leaseTtlMs,
    shardSyncMs: config.consumer.shardSyncMs,
    logger,
  });
  onShutdown(logger, () => daemon.stop());
  try {
    await daemon.done;
  } catch (error) {
    // Already logged with its cause by the daemon; the exit code tells the supervisor (or ECS).
    logger.fatal({ err: error }, 'consumer stopped on an error no retry can fix');
    process.exitCode = 1;
  }
  redis.disconnect();
  kinesis.destroy();
}
