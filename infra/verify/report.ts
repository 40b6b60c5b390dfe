// What `npm run verify` says: one line per check, pass, fail or skip, with the evidence, then a
// count; any failure makes the exit code 1.

export type Status = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  /** The check's name as the report prints it (`ready`, `athena cleaned_beers`, ...). */
  check: string;
  status: Status;
  /** What was seen: the answer, the object, the reason for a skip. */
  evidence: string;
}

export const pass = (check: string, evidence: string): CheckResult => ({ check, status: 'pass', evidence });
export const fail = (check: string, evidence: string): CheckResult => ({ check, status: 'fail', evidence });
export const skip = (check: string, evidence: string): CheckResult => ({ check, status: 'skip', evidence });

export function formatLine(result: CheckResult, nameWidth: number): string {
  return `${result.status.toUpperCase().padEnd(4)}  ${result.check.padEnd(nameWidth)}  ${result.evidence}`;
}

export function formatReport(target: string, results: CheckResult[]): string {
  const width = Math.max(0, ...results.map((r) => r.check.length));
  const count = (status: Status) => results.filter((r) => r.status === status).length;
  return [
    `brewstream verify: ${target}`,
    ...results.map((r) => formatLine(r, width)),
    `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`,
  ].join('\n');
}

/** 1 when any check failed, else 0 (skips are not failures: they say why they could not run). */
export const exitCode = (results: CheckResult[]): number =>
  results.some((r) => r.status === 'fail') ? 1 : 0;
