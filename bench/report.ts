// What every benchmark prints: a short table on stderr for people, then one JSON object as the
// last line of stdout for machines (docs/design.md "Benchmarks").
import os from 'node:os';

export type BenchValue =
  | number
  | string
  | null
  | readonly BenchValue[]
  | { readonly [key: string]: BenchValue };
export type BenchResults = Record<string, BenchValue>;

export function machine() {
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
}

export function report(name: string, results: BenchResults, notes?: string): void {
  const width = Math.max(...Object.keys(results).map((key) => key.length));
  const lines = Object.entries(results).map(
    ([key, value]) => `  ${key.padEnd(width)}  ${formatValue(value)}`,
  );
  process.stderr.write(`\n${name}${notes ? ` (${notes})` : ''}\n${lines.join('\n')}\n\n`);
  process.stdout.write(
    `${JSON.stringify({ name, date: new Date().toISOString(), machine: machine(), notes, results })}\n`,
  );
}

function formatValue(value: BenchValue): string {
  if (typeof value === 'string' || value === null) return String(value);
  // A nested figure (intervals, the quality table) is printed as compact JSON.
  if (typeof value !== 'number')
    return JSON.stringify(value, (_, v) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v));
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(3);
}

/** Percentile by nearest rank over a copy of the values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
