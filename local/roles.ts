// The roles `npm start` supervises, each a child process running `brewstream <args>`.
// A role whose compiled module is not there yet is skipped with a note, so the stack grows as
// roles land. Order matters: consumers and the trainer are up before the producer puts data.
export interface LocalRole {
  name: string;
  args: string[];
  /** Path under dist/ that must exist for the role to be started. */
  module: string;
}

export const LOCAL_ROLES: LocalRole[] = [
  { name: 'server', args: ['server'], module: 'server/main.js' },
  { name: 'trainer', args: ['trainer'], module: 'trainer/main.js' },
  { name: 'cleaned', args: ['consumer', 'cleaned'], module: 'local/kcl-daemon/main.js' },
  { name: 'raw', args: ['consumer', 'raw'], module: 'local/kcl-daemon/main.js' },
  { name: 'producer', args: ['producer', '--replay', '--schedule'], module: 'producer/main.js' },
];
