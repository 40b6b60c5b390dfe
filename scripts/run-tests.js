#!/usr/bin/env node
// Runs the test files of the source tree, compiled, with Node's test runner (docs/design.md "Tests").
//   node scripts/run-tests.js                 every test: unit tests beside the code, and test/
//   node scripts/run-tests.js --unit          only the unit tests beside the code (no services)
//   node scripts/run-tests.js producer infra  only files whose path contains one of the words
//   node scripts/run-tests.js --drills        only the failure drills (test/drills/), one file at a time
//   node scripts/run-tests.js image           the container image test (test/image/: builds and runs
//                                             the image; needs root and minutes)
//   node scripts/run-tests.js trainer --except drills   files with a word, but none with the word after --except
//   node scripts/run-tests.js --clock +365d trainer
//                                             the same files with the tests' clock (theirs and their
//                                             children's) moved by libfaketime (`faketime`, Debian's
//                                             package): a test that passes today must pass next year
// The drills and the image test take minutes, so a run without words (npm test) leaves them out;
// they run when named (`npm run test:drills`, `npm run test:image`), and CI runs both after npm test.
// Test files are found in the sources (*.test.ts) and run from dist/, so a test deleted from the
// sources never runs from a stale build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const SKIP = new Set(['node_modules', 'dist', 'cdk.out']);

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return SKIP.has(name) || name.startsWith('.') ? [] : find(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const drillsOnly = args.includes('--drills');
const clockAt = args.indexOf('--clock');
const clock = clockAt >= 0 ? args.splice(clockAt, 2)[1] : undefined;
if (clockAt >= 0 && !/^[+-]\d+[smhdy]$/.test(clock ?? '')) {
  console.error(`--clock takes an offset such as +365d, got ${clock ?? 'nothing'}`);
  process.exit(2);
}
const exceptAt = args.indexOf('--except');
const except = exceptAt >= 0 ? args.splice(exceptAt, 2)[1] : undefined;
const filters = args.filter((arg) => arg !== '--unit' && arg !== '--drills');
const drills = `test${path.sep}drills${path.sep}`;
const SLOW_SUITES = [drills, `test${path.sep}image${path.sep}`];
const sources = find('.')
  .map((file) => path.relative('.', file))
  .filter((file) => !unitOnly || !file.startsWith(`test${path.sep}`))
  // A slow suite runs only when asked for: by --drills, or by a word that names its files.
  .filter((file) =>
    drillsOnly
      ? file.startsWith(drills)
      : filters.length > 0 || !SLOW_SUITES.some((suite) => file.startsWith(suite)),
  )
  .filter((file) => filters.length === 0 || filters.some((word) => file.includes(word)))
  .filter((file) => except === undefined || !file.includes(except))
  .sort();
if (sources.length === 0) {
  console.error(`no test files match ${filters.join(' ') || '**/*.test.ts'}`);
  process.exit(1);
}
const files = sources.map((file) => path.join('dist', file.replace(/\.ts$/, '.js')));
const missing = files.filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.error(`not compiled (run npm run build): ${missing.join(', ')}`);
  process.exit(1);
}
// Drills stop and start parts under load: one file at a time, so two drills do not share the CPU.
const concurrency = process.env.TEST_CONCURRENCY ?? (drillsOnly ? '1' : '2');
// Not --test-force-exit: on Node 24.21 it ends a file early at random and drops its remaining
// tests without a failure (seen: test/infra/iam.test.ts ran 53, 55 or 56 of its 56). A drill that
// fails half-way stops its watchers in close() instead, and .ci/run bounds each slow step in time.
const command = [
  process.execPath,
  '--enable-source-maps',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-reporter=spec',
  ...files,
];
const result = clock
  ? spawnSync('faketime', ['-f', clock, ...command], { stdio: 'inherit' })
  : spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
if (result.error) {
  console.error(`cannot run the tests: ${result.error.message}${clock ? ' (is faketime installed?)' : ''}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
