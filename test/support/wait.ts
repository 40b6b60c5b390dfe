// Waiting in tests: one polling loop, so every wait has a bound and a failure that says what never
// happened, instead of a hand-written loop that forgets one or the other.

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What a wait is for, as the failure names it: a phrase, or one made from the last value seen
 * (how far it got, a log tail) when the wait ends.
 */
export type What<T> = string | ((last: T) => string);

async function poll<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs: number,
  intervalMs: number,
): Promise<{ value: T; done: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return { value, done: true };
    if (Date.now() > deadline) return { value, done: false };
    await sleep(intervalMs);
  }
}

/**
 * Asks `probe` every `intervalMs` until `ok` holds of its answer or `timeoutMs` has passed, and
 * returns the last answer either way, for a caller that reports what was left rather than fail.
 */
export async function waitAtMost<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  return (await poll(probe, ok, timeoutMs, intervalMs)).value;
}

/**
 * As waitAtMost, but fails, naming `what`, when `ok` never held. A probe that throws ends the wait.
 * An `ok` that narrows (`(line) => line !== undefined`) narrows the answer too.
 */
export async function waitFor<T, U extends T = T>(
  what: What<T>,
  probe: () => Promise<T>,
  ok: ((value: T) => value is U) | ((value: T) => boolean),
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<U> {
  const { value, done } = await poll(probe, ok, timeoutMs, intervalMs);
  // ok held of it, so it is a U whenever ok narrows to one.
  if (done) return value as U;
  throw new Error(
    `timed out after ${timeoutMs / 1000} s waiting for ${typeof what === 'string' ? what : what(value)}`,
  );
}

/** Waits until `check` answers true, asking every 50 ms (for a server's state, which changes fast). */
export async function until(
  what: string | (() => string),
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<void> {
  await waitFor(what, check, (done) => done, timeoutMs, intervalMs);
}
