// The process tree under a pid, read from /proc (Linux, where the tests run), for tests that must
// show a stack left nothing running. A process is known by its pid and its start time, so a pid
// reused by an unrelated process later is not mistaken for a survivor (a command line is no
// identity: a child shows its parent's between fork and exec, and redis-server retitles itself).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The state letter of /proc/<pid>/stat: R, S, D, Z (zombie), ... */
  state: string;
  /** Clock ticks after boot when it started (field 22 of /proc/<pid>/stat). */
  startTime: string;
  command: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3, state
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? '', startTime: fields[19] ?? '', command };
  } catch {
    return undefined; // gone between the listing and the read
  }
}

/** Every live process below root (not root itself). */
export function descendants(root: number): ProcessInfo[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((info): info is ProcessInfo => info !== undefined && info.state !== 'Z');
  const found: ProcessInfo[] = [];
  let frontier = new Set([root]);
  while (frontier.size > 0) {
    const next = all.filter((info) => frontier.has(info.ppid));
    found.push(...next);
    frontier = new Set(next.map((info) => info.pid));
  }
  return found;
}

/** The remembered processes still running (the same pid and start time; zombies do not count). */
export function stillRunning(seen: Iterable<ProcessInfo>): ProcessInfo[] {
  return [...seen].filter((info) => {
    const now = readProcess(info.pid);
    return now !== undefined && now.state !== 'Z' && now.startTime === info.startTime;
  });
}
