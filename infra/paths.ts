// Where the repository is, whether this module runs from infra/ (cdk synth through tsx) or from
// dist/infra/ (the compiled tests), and whether a module is the script node runs.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'brewstream') return dir;
  }
  throw new Error(`no brewstream package.json above ${from}`);
}

export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/**
 * Whether the module at `moduleUrl` is the script node was started with. Compared as paths: the
 * URL percent-encodes what the path spells raw (a space is %20), so comparing text fails in a
 * folder whose name has a space, and the CDK app would synthesise no stack.
 */
export function isEntryPoint(moduleUrl: string, argv1: string | undefined): boolean {
  return argv1 !== undefined && fileURLToPath(moduleUrl) === path.resolve(argv1);
}
