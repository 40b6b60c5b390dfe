// `npm run bench` runs every benchmark into bench/results.json; `npm run bench -- server` runs one
// and passes its output through. Each benchmark is its own process (bench/<name>.js) so one
// cannot warm up or slow down another.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL = ['producer', 'consumer', 'trainer', 'server', 'stack', 'table', 'stats'];

function runOne(name: string): Promise<unknown> {
  const file = path.join(here, `${name}.js`);
  if (!existsSync(file)) return Promise.reject(new Error(`no benchmark named ${name} (${file})`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`benchmark ${name} exited with ${code}`));
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`benchmark ${name} did not print JSON on its last line`));
      }
    });
  });
}

const requested = process.argv.slice(2);
const names =
  requested.length > 0 ? requested : ALL.filter((name) => existsSync(path.join(here, `${name}.js`)));
const results = [];
for (const name of names) results.push(await runOne(name));
if (requested.length === 0) {
  const out = path.join(here, '..', '..', 'bench', 'results.json');
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stderr.write(`wrote ${out}\n`);
}
