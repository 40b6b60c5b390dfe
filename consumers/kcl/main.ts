// `brewstream consumer <cleaned|raw>`: the KCL daemon for one consumer application. Locally (and in
// tests) our daemon; with KCL_DAEMON=amazon (the container on AWS) Amazon's MultiLangDaemon (amazonDaemon.ts),
// with the properties file of the same name.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kinesisClient } from '../../lib/aws.js';
import { type Config, loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { createRedis } from '../../lib/redis.js';
import { onShutdown } from '../../lib/shutdown.js';
import { daemonArgs, defaultJarsDir, javaExecutable, runAmazonDaemon } from './amazonDaemon.js';
import { startDaemon } from './daemon.js';
import { renderProperties } from './properties.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const brewstream = path.resolve(here, '..', '..', 'bin', 'brewstream.js');

/** The application name of each consumer: the cleaned one is configurable, raw derives from it. */
export function applicationName(config: Config, name: 'cleaned' | 'raw'): string {
  return name === 'cleaned' ? config.consumer.applicationName : `${config.consumer.applicationName}-raw`;
}

export async function main(args: string[]): Promise<void> {
  const name = args[0];
  if (name !== 'cleaned' && name !== 'raw')
    throw new Error(`usage: brewstream consumer <cleaned|raw> (got ${name ?? 'nothing'})`);
  const config = loadConfig();
  const logger = createLogger(`consumer-${name}`, { level: config.logLevel });
  const command = config.consumer.processorCommand?.split(/\s+/) ?? [
    process.execPath,
    brewstream,
    'processor',
    name,
  ];

  if (config.consumer.daemon === 'amazon') {
    // The properties carry this deployment's stream, application and region.
    const file = path.join(os.tmpdir(), `${name}.properties`);
    await writeFile(
      file,
      renderProperties(config, { applicationName: applicationName(config, name), command }),
    );
    logger.info({ properties: file }, 'starting Amazon MultiLangDaemon');
    await runAmazonDaemon({ java: javaExecutable(), args: daemonArgs(defaultJarsDir(), file) });
    logger.info('MultiLangDaemon stopped');
    return;
  }

  const redis = createRedis(config.redisUrl);
  const kinesis = kinesisClient(config);
  const daemon = await startDaemon({
    kinesis,
    redis,
    applicationName: applicationName(config, name),
    streamName: config.streamName,
    command,
    env: process.env,
    pollIntervalMs: config.consumer.pollIntervalMs,
    maxRecords: config.consumer.maxRecordsPerPoll,
    leaseTtlMs: config.consumer.leaseTtlMs,
    shardSyncMs: config.consumer.shardSyncMs,
    logger,
  });
  onShutdown(logger, () => daemon.stop());
  await daemon.done;
  redis.disconnect();
  kinesis.destroy();
}
