// The daemon's side of the MultiLang protocol with one processor process: send an action, answer
// the processor's checkpoint requests while it works on it, return when its status arrives.
// As with Amazon's daemon, a checkpoint request is read only while an action awaits its status.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PermanentError, TransientError } from '../../lib/errors.js';
import { isRecord } from '../../lib/guards.js';

export interface Message {
  action: string;
  [key: string]: unknown;
}

/** Answers a checkpoint request: undefined for success, or the error name to send back. */
export type CheckpointHandler = (sequenceNumber: string | null) => Promise<string | undefined>;

export interface ProcessorChild {
  pid: number | undefined;
  call(message: Message, onCheckpoint?: CheckpointHandler): Promise<void>;
  /** Closes stdin (the processor exits by itself) and waits for the exit, killing it after a grace period. */
  close(graceMs?: number): Promise<void>;
  kill(): void;
  exited: Promise<void>;
}

/** The processor exited while the daemon was talking to it: restarted from its checkpoint. */
export class ProcessorExited extends TransientError {}

/** The processor command could not be started at all (ENOENT, EACCES...): restarting will not help. */
export class ProcessorSpawnFailed extends PermanentError {
  constructor(command: string, cause: Error) {
    super(`cannot start the processor ${command}: ${cause.message}`, { cause });
  }
}

/** One line from the processor; anything but a JSON object with a string `action` is `invalid`. */
export function parseMessage(line: string): Message {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { action: 'invalid', line };
  }
  return isMessage(value) ? value : { action: 'invalid', line };
}

function isMessage(value: unknown): value is Message {
  return isRecord(value) && typeof value.action === 'string';
}

export function spawnProcessor(command: string[], env: NodeJS.ProcessEnv): ProcessorChild {
  const [file, ...args] = command as [string, ...string[]];
  // stderr is the processor's log and goes straight to ours.
  const child: ChildProcess = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Message[] = [];
  let wake: (() => void) | undefined;
  let exited = false;
  let spawnError: Error | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    const end = () => {
      exited = true;
      wake?.();
      resolve();
    };
    child.once('exit', end);
    // Without a listener a spawn failure would be an unhandled 'error' event, ending the daemon
    // with a stack trace; it is the runner's error instead ('exit' does not follow it).
    // A failed kill of a running child also comes as 'error'; only one without a pid never started.
    child.on('error', (error) => {
      if (child.pid !== undefined || spawnError) return;
      spawnError = error;
      end();
    });
  });
  child.stdin?.on('error', () => {}); // a dead child's closed pipe is reported by `exited`
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.trim()) return; // aws-kcl writes a blank line before each message
    lines.push(parseMessage(line));
    wake?.();
  });
  const nextMessage = async (): Promise<Message> => {
    while (lines.length === 0) {
      if (spawnError) throw new ProcessorSpawnFailed(file, spawnError);
      if (exited) throw new ProcessorExited(`processor ${child.pid} exited`);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    return lines.shift() as Message;
  };
  const send = (message: Message) => {
    if (!exited) child.stdin?.write(`${JSON.stringify(message)}\n`);
  };

  return {
    pid: child.pid,
    exited: exitedPromise,
    async call(message, onCheckpoint) {
      send(message);
      for (;;) {
        const reply = await nextMessage();
        if (reply.action === 'status') {
          if (reply.responseFor !== message.action) {
            throw new Error(
              `processor answered status for ${String(reply.responseFor)} while ${message.action} was pending`,
            );
          }
          return;
        }
        if (reply.action === 'checkpoint') {
          // null (or absent) asks for the last record delivered; anything but a string is a broken line.
          const sequenceNumber = reply.sequenceNumber ?? null;
          if (sequenceNumber !== null && typeof sequenceNumber !== 'string') {
            throw new Error(`unexpected message from processor: ${JSON.stringify(reply)}`);
          }
          const error = onCheckpoint ? await onCheckpoint(sequenceNumber) : 'InvalidStateException';
          send({ action: 'checkpoint', sequenceNumber, ...(error ? { error } : {}) });
          continue;
        }
        throw new Error(`unexpected message from processor: ${JSON.stringify(reply)}`);
      }
    },
    async close(graceMs = 5000) {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitedPromise;
      clearTimeout(timer);
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
