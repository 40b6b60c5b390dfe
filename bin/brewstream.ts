#!/usr/bin/env node
// One command per role, the same inside the container image and on a laptop:
//   brewstream producer [--replay | --once | --rate N --count N]
//   brewstream consumer <cleaned|raw>     the KCL daemon (Amazon's on AWS, the local one here)
//   brewstream processor <cleaned|raw>    one MultiLang record processor (spawned by a daemon)
//   brewstream trainer                    the BullMQ retrain worker
//   brewstream train                      one training run by hand, with progress and metrics
//   brewstream server                     the Fastify prediction server
interface RoleModule {
  main(args: string[]): Promise<void>;
}

const roles: Record<string, () => Promise<RoleModule>> = {
  producer: () => import('../producer/main.js' as string),
  consumer: () => import('../consumers/kcl/main.js' as string),
  processor: () => import('../consumers/processorMain.js' as string),
  trainer: () => import('../trainer/main.js' as string),
  train: () => import('../trainer/cli.js' as string),
  server: () => import('../server/main.js' as string),
};

const [role, ...args] = process.argv.slice(2);
const load = role ? roles[role] : undefined;
if (!load) {
  console.error(`usage: brewstream <${Object.keys(roles).join('|')}> [args]`);
  process.exit(2);
}
try {
  await (await load()).main(args);
} catch (error) {
  const err = error as Error & { problems?: string[] };
  // Configuration errors are for people: print the message, not a stack trace.
  console.error(err.problems ? err.message : (err.stack ?? String(err)));
  process.exit(1);
}
