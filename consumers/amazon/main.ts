// `brewstream consumer <cleaned|raw>` on AWS (KCL_DAEMON=amazon): Amazon's MultiLangDaemon with the
// properties of this deployment, rendered from the environment at start.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { applicationName, consumerName, processorCommand } from '../application.js';
import {
  daemonArgs,
  defaultJarsDir,
  javaExecutable,
  listJars,
  readJarsRecord,
  runAmazonDaemon,
  unpinnedJarsWarning,
} from './amazonDaemon.js';
import { logbackConfiguration, renderProperties } from './properties.js';

export async function main(args: string[]): Promise<void> {
  const name = consumerName('consumer', args);
  const config = loadConfig();
  const logger = createLogger(`consumer-${name}`, { level: config.logLevel });
  const file = path.join(os.tmpdir(), `${name}.properties`);
  await writeFile(
    file,
    renderProperties(config, {
      applicationName: applicationName(config, name),
      command: processorCommand(config, name),
    }),
  );
  const jarsDir = defaultJarsDir();
  const javaArgs = daemonArgs(jarsDir, file, logbackConfiguration);
  const record = readJarsRecord(jarsDir);
  logger.info(
    { properties: file, jars: listJars(jarsDir).length, kclJars: record?.builtWith ?? 'not recorded' },
    'starting Amazon MultiLangDaemon',
  );
  // Once per start: an image built before the jars were pinned says so where its logs are read.
  const unpinned = unpinnedJarsWarning(jarsDir, record);
  if (unpinned) logger.warn({ kclJarsPinned: false }, unpinned);
  await runAmazonDaemon({ java: javaExecutable(), args: javaArgs });
  logger.info('MultiLangDaemon stopped');
}
