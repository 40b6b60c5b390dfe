// Fills consumers/amazon/consumer.properties for one consumer of one deployment.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../lib/config.js';

// The template is a source file, next to this module's source (dist/ holds only compiled code);
// the container image copies it to the same place relative to dist/.
export const propertiesTemplate = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'consumers',
  'amazon',
  'consumer.properties',
);

/** The MultiLangDaemon's logback configuration, beside the template (and so in the image). */
export const logbackConfiguration = path.join(path.dirname(propertiesTemplate), 'logback.xml');

export function renderProperties(
  config: Config,
  consumer: { applicationName: string; command: string[] },
): string {
  const values: Record<string, string> = {
    EXECUTABLE: consumer.command.join(' '),
    STREAM_NAME: config.streamName,
    APPLICATION_NAME: consumer.applicationName,
    AWS_REGION: config.aws.region,
    POLL_INTERVAL_MS: String(config.consumer.pollIntervalMs),
    MAX_RECORDS: String(config.consumer.maxRecordsPerPoll),
    MAX_LEASES_FOR_WORKER: String(config.consumer.maxLeasesPerWorker),
  };
  return readFileSync(propertiesTemplate, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`consumer.properties: no value for ${match}`);
    return value;
  });
}
