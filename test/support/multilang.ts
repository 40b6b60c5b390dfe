// Plays Amazon's MultiLangDaemon in a test: spawns a record processor and exchanges scripted
// protocol messages with it, one JSON per line, exactly as the Java daemon writes them.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const brewstream = path.resolve(import.meta.dirname, '..', '..', 'bin', 'brewstream.js');

export interface KclMessage {
  action: string;
  [key: string]: unknown;
}

export interface ScriptedProcessor {
  child: ChildProcess;
  send(message: KclMessage): void;
  /** The next message the processor writes (blank lines skipped), within the timeout. */
  next(timeoutMs?: number): Promise<KclMessage>;
  /** Sends an action and answers every checkpoint request with `answer` until the status arrives. */
  call(message: KclMessage, answer?: (request: KclMessage) => string | undefined): Promise<KclMessage[]>;
  /** call() with the message already serialised (a benchmark keeps JSON.stringify out of its timing). */
  callLine(
    line: string,
    action: string,
    answer?: (request: KclMessage) => string | undefined,
  ): Promise<KclMessage[]>;
  stderr: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `brewstream processor <name>`, or, given `script`, that Node script instead (a benchmark's
 * processor that does nothing).
 */
export function startProcessor(
  name: string,
  env: Record<string, string>,
  script?: string,
): ScriptedProcessor {
  const child = spawn(process.execPath, script ? [script] : [brewstream, 'processor', name], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const queue: KclMessage[] = [];
  const waiters: Array<(message: KclMessage) => void> = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.trim()) return;
    const message = JSON.parse(line) as KclMessage;
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => stderr.push(line));

  const next = (timeoutMs = 15_000) =>
    new Promise<KclMessage>((resolve, reject) => {
      const queued = queue.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(
        () =>
          reject(
            new Error(`no message from the processor in ${timeoutMs} ms; stderr:\n${stderr.join('\n')}`),
          ),
        timeoutMs,
      );
      waiters.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  const send = (message: KclMessage) => child.stdin?.write(`${JSON.stringify(message)}\n`);

  const callLine = async (
    line: string,
    action: string,
    answer: (request: KclMessage) => string | undefined = () => undefined,
  ): Promise<KclMessage[]> => {
    child.stdin?.write(`${line}\n`);
    const seen: KclMessage[] = [];
    for (;;) {
      const reply = await next();
      seen.push(reply);
      if (reply.action === 'status') {
        if (reply.responseFor !== action)
          throw new Error(`status for ${String(reply.responseFor)}, expected ${action}`);
        return seen;
      }
      if (reply.action !== 'checkpoint') throw new Error(`unexpected message ${JSON.stringify(reply)}`);
      const error = answer(reply);
      send({ action: 'checkpoint', sequenceNumber: reply.sequenceNumber, ...(error ? { error } : {}) });
    }
  };

  return {
    child,
    send,
    next,
    stderr,
    call: (message, answer) => callLine(JSON.stringify(message), message.action, answer),
    callLine,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** A record as Amazon's daemon sends it. */
export function kclRecord(
  data: string | Buffer,
  sequenceNumber: string,
  partitionKey: string,
  arrival = Date.UTC(2026, 10, 24, 12),
) {
  return {
    data: Buffer.from(data).toString('base64'),
    partitionKey,
    sequenceNumber,
    subSequenceNumber: 0,
    approximateArrivalTimestamp: arrival,
  };
}
