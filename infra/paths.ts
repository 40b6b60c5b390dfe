// Where the repository is, whether this module runs from infra/ (cdk synth through tsx) or from
// dist/infra/ (the compiled tests).
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
