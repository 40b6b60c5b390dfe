// `npm start` stops when whatever launched it goes away without a word: a process manager or a
// terminal killed with SIGKILL sends no signal on. What it leaves is a changed parent: this process
// is reparented (to init or a subreaper). npm itself is no help here, since it keeps running
// orphaned when its own parent dies, so when our parent is npm we also watch npm's parent, and so
// on through nested npm runs. Polled once a second; Linux reads /proc, elsewhere `ps` answers.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** A process and the parent it had when we started watching. */
export interface Link {
  pid: number;
  parent: number;
}

/** The parent pid in the text of /proc/<pid>/stat ("pid (comm) state ppid ..."). */
export function parentInStat(stat: string): number | undefined {
  // comm may hold spaces and parentheses: the fields that follow start after the last ")".
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : undefined;
}

/** True for npm's own process, by its title ("npm start") or its command ("node /usr/bin/npm start"). */
export function isNpm(command: string): boolean {
  return /(^|[\s/])npm(-cli\.js)?(\s|$)/.test(command);
}

/** The first link whose process is gone or has another parent now, if any. */
export function brokenLink(links: Link[], parentOf: (pid: number) => number | undefined): Link | undefined {
  return links.find((link) => parentOf(link.pid) !== link.parent);
}

const hasProc = existsSync('/proc/self/stat');

function parentOf(pid: number): number | undefined {
  if (pid === process.pid) return process.ppid;
  try {
    if (hasProc) return parentInStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const ppid = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined; // gone
  }
}

function commandOf(pid: number): string {
  try {
    if (hasProc) return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** This process's link to its parent, then npm's to its parent while the parent is npm. */
export function launcherLinks(): Link[] {
  const links: Link[] = [];
  let link: Link = { pid: process.pid, parent: process.ppid };
  // A parent of 1 is init: started by it, or orphaned already; there is nothing above to watch.
  while (link.parent > 1 && links.length < 5) {
    links.push(link);
    if (!isNpm(commandOf(link.parent))) break;
    const above = parentOf(link.parent);
    if (above === undefined) break;
    link = { pid: link.parent, parent: above };
  }
  return links;
}

/** Calls onGone once when a launcher is gone; returns a function that stops watching. */
export function watchLaunchers(onGone: (gone: Link) => void, intervalMs = 1000): () => void {
  const links = launcherLinks();
  const timer = setInterval(() => {
    const gone = brokenLink(links, parentOf);
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(gone);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
