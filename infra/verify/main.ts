// `npm run verify -- --stack <name>` (a deployed stack) or `npm run verify -- --local` (npm start's):
// every check of infra/verify/checks.ts, one line each, and exit code 1 when one failed (2 when the
// command could not run at all: bad arguments, no such stack, no npm start). docs/aws.md "After a
// first deploy" says what each check proves.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config.js';
import { LOCAL_OUTPUTS_FILE } from '../../lib/localOutputs.js';
import { isEntryPoint } from '../paths.js';
import { runChecks } from './checks.js';
import { parseVerifyArgs, USAGE } from './decisions.js';
import { exitCode, formatReport } from './report.js';
import { awsTarget, localTarget, type Target } from './targets.js';

const OPTIONS = {
  stack: { type: 'string' },
  local: { type: 'boolean' },
  'record-timeout': { type: 'string' },
  'retrain-timeout': { type: 'string' },
  'athena-output': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    // An unknown option, or one without its value.
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let target: Target;
  try {
    // npm start's data directory, as npm start itself reads it (LOCAL_DATA_DIR).
    const defaultDataDir = loadConfig().local.dataDir;
    const options = parseVerifyArgs(
      values,
      positionals,
      existsSync(path.join(defaultDataDir, LOCAL_OUTPUTS_FILE)),
    );
    if (typeof options === 'string') {
      process.stderr.write(`${options}\n${USAGE}\n`);
      return 2;
    }
    const bounds = { recordTimeoutS: options.recordTimeoutS, retrainTimeoutS: options.retrainTimeoutS };
    target =
      options.target.kind === 'aws'
        ? await awsTarget(options.target.stack, { ...bounds, athenaOutput: options.athenaOutput })
        : await localTarget(options.target.dataDir ?? defaultDataDir, bounds);
  } catch (error) {
    process.stderr.write(`brewstream verify: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    const results = await runChecks(target);
    process.stdout.write(`${formatReport(target.description, results)}\n`);
    return exitCode(results);
  } finally {
    await target.close();
  }
}

if (isEntryPoint(import.meta.url, process.argv[1])) {
  process.exitCode = await main(process.argv.slice(2));
}
