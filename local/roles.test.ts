import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { describe, test } from 'node:test';
import { LOCAL_ROLES, niced, TRAINER_NICENESS } from './roles.js';

describe('local roles', () => {
  test('the trainer runs niced under npm start, the latency-bound roles do not', () => {
    const niceness = Object.fromEntries(LOCAL_ROLES.map((role) => [role.name, role.niceness ?? 0]));
    assert.deepEqual(niceness, { server: 0, trainer: 10, cleaned: 0, raw: 0, producer: 0 });
    assert.equal(TRAINER_NICENESS, 10);
  });

  test('a niced command runs at that niceness, and so do the threads it starts', () => {
    // The main thread's niceness and a worker thread's (Linux keeps one per thread).
    const script = `
      const os = require('node:os');
      const { Worker } = require('node:worker_threads');
      const w = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:os').getPriority())", { eval: true });
      w.on('message', (p) => { console.log(os.getPriority() + ' ' + p); w.terminate(); });`;
    const { command, args } = niced(process.execPath, ['-e', script], 7);
    // `nice` adds to the niceness it runs at (a test run may itself be niced), up to 19.
    const expected = Math.min(19, getPriority() + 7);
    assert.equal(execFileSync(command, args, { encoding: 'utf8' }).trim(), `${expected} ${expected}`);
    // Without a niceness: the command as it is.
    assert.deepEqual(niced(process.execPath, ['-e', '1'], undefined), {
      command: process.execPath,
      args: ['-e', '1'],
    });
  });
});
