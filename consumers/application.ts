// What both daemons need to know of a consumer application: its name (the lease table on AWS, the
// Redis key prefix locally) and the processor command they spawn, one process per shard.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../lib/config.js';

export type ConsumerName = 'cleaned' | 'raw';

const brewstream = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'brewstream.js');

/** `cleaned` or `raw` from a role's arguments, or a usage error naming what was given. */
export function consumerName(role: string, args: string[]): ConsumerName {
  const name = args[0];
  if (name !== 'cleaned' && name !== 'raw')
    throw new Error(`usage: brewstream ${role} <cleaned|raw> (got ${name ?? 'nothing'})`);
  return name;
}

/** The cleaned application is configurable; the raw one derives from it. */
export function applicationName(config: Config, name: ConsumerName): string {
  return name === 'cleaned' ? config.consumer.applicationName : `${config.consumer.applicationName}-raw`;
}

/** `brewstream processor <name>` with this Node, unless KCL_PROCESSOR_COMMAND says otherwise. */
export function processorCommand(config: Config, name: ConsumerName): string[] {
  return config.consumer.processorCommand?.split(/\s+/) ?? [process.execPath, brewstream, 'processor', name];
}
