#!/usr/bin/env node
// One command per role, the same inside the container image and on a laptop:
//   brewstream producer [--replay | --once | --rate N --count N]
//   brewstream consumer <cleaned|raw>     the KCL daemon (Amazon's on AWS, the local one here)
//   brewstream processor <cleaned|raw>    one MultiLang record processor (spawned by a daemon)
//   brewstream trainer                    the BullMQ retrain worker
//   brewstream train                      one training run by hand, with progress and metrics
//   brewstream server                     the Fastify prediction server
// This file is the composition root: the only place that picks between production code and the
// local stand-in for it (the consumer's daemon, by KCL_DAEMON).
import { loadConfig } from '../lib/config.js';
import { ConfigError } from '../lib/errors.js';

interface RoleModule {
  main(args: string[]): Promise<void>;
}

const roles = {
  producer: () => import('../producer/main.js'),
  consumer: () =>
    loadConfig().consumer.daemon === 'amazon'
      ? import('../consumers/amazon/main.js')
      : import('../local/kcl-daemon/main.js'),
  processor: () => import('../consumers/processor/main.js'),
  trainer: () => import('../trainer/main.js'),
  train: () => import('../trainer/cli.js'),
  server: () => import('../server/main.js'),
} satisfies Record<string, () => Promise<RoleModule>>;

const isRole = (name: string | undefined): name is keyof typeof roles => name !== undefined && name in roles;

const [role, ...args] = process.argv.slice(2);
if (!isRole(role)) {
  console.error(`usage: brewstream <${Object.keys(roles).join('|')}> [args]`);
  process.exit(2);
}
try {
  await (await roles[role]()).main(args);
} catch (error) {
  // Configuration errors are for people: print the message, not a stack trace.
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : error);
  process.exit(1);
}
