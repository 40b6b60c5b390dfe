// What a V8 CPU profile (node --cpu-prof) says, in a few lines: the share of sampled time spent in
// each function's own code and in each package, for the benchmark's table and the README.
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

export interface ProfileShare {
  name: string;
  share: number;
}
export interface ProfileSummary {
  /** Sampled time in all, seconds (the shares are of the busy part, idle left out). */
  seconds: number;
  /** Self time by function (name and where), largest first. */
  functions: ProfileShare[];
  /** Self time by package (node_modules/<name>), "node" (node: internals), "app" (ours) or "(gc)" and the like. */
  packages: ProfileShare[];
}

/** Where a frame's code lives: its package under node_modules, node's internals, ours, or V8's own. */
export function origin(url: string, functionName: string): string {
  if (url === '') return functionName === '' ? '(native)' : functionName;
  if (url.startsWith('node:')) return 'node';
  const at = url.lastIndexOf('/node_modules/');
  if (at === -1) return 'app';
  const rest = url.slice(at + '/node_modules/'.length).split('/');
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? 'app');
}

const top = (totals: Map<string, number>, all: number, n: number): ProfileShare[] =>
  [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => ({ name, share: Math.round((hits / all) * 1000) / 1000 }));

export function summarize(profile: CpuProfile, n = 8): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let all = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    // Shares are of the time the process was busy: waiting for work is not a cost.
    if (hits === 0 || functionName === '(idle)') continue;
    all += hits;
    const file = url.slice(url.lastIndexOf('/') + 1);
    const fn =
      url === '' ? functionName || '(native)' : `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
    const where = origin(url, functionName);
    byPackage.set(where, (byPackage.get(where) ?? 0) + hits);
  }
  return {
    seconds: Math.round((profile.endTime - profile.startTime) / 1e4) / 100,
    functions: top(byFunction, all, n),
    packages: top(byPackage, all, n),
  };
}

export async function summarizeFile(file: string, n?: number): Promise<ProfileSummary> {
  return summarize(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, n);
}

// `node dist/bench/profile.js <file.cpuprofile>...`: the summary of each, for a person.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) {
    const summary = await summarizeFile(file, 25);
    process.stdout.write(`${file} (${summary.seconds}s)\n`);
    for (const part of ['packages', 'functions'] as const)
      for (const { name, share } of summary[part])
        process.stdout.write(`  ${(share * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  }
}
