// The roles `npm start` supervises, each a child process running `brewstream <args>`.
// A role whose compiled module is not there yet is skipped with a note, so the stack grows as
// roles land. Order matters: consumers and the trainer are up before the producer puts data.
export interface LocalRole {
  name: string;
  args: string[];
  /** Path under dist/ that must exist for the role to be started. */
  module: string;
  /** Runs under `nice -n <niceness>` (POSIX), its threads included. */
  niceness?: number;
}

/**
 * On one machine a retrain is batch work beside latency-bound roles: at nice 10 it takes what the
 * server and the consumers leave, instead of a core of theirs (at 2,000 records/s beside a retrain,
 * freshness p95 was 3.0-11.2 s here at nice 0). On AWS each role has its own task; this is local only.
 */
export const TRAINER_NICENESS = 10;

export const LOCAL_ROLES: LocalRole[] = [
  { name: 'server', args: ['server'], module: 'server/main.js' },
  { name: 'trainer', args: ['trainer'], module: 'trainer/main.js', niceness: TRAINER_NICENESS },
  { name: 'cleaned', args: ['consumer', 'cleaned'], module: 'local/kcl-daemon/main.js' },
  { name: 'raw', args: ['consumer', 'raw'], module: 'local/kcl-daemon/main.js' },
  { name: 'producer', args: ['producer', '--replay', '--schedule'], module: 'producer/main.js' },
];

/** The command and arguments that run `command args` at a niceness (none: as they are). */
export function niced(
  command: string,
  args: string[],
  niceness: number | undefined,
): { command: string; args: string[] } {
  return niceness ? { command: 'nice', args: ['-n', String(niceness), command, ...args] } : { command, args };
}
