// However `npm start` is stopped, nothing it started is left running: SIGINT to the npm process
// (`timeout -s INT` reaches npm only), Ctrl-C in a terminal (the whole process group), npm
// killed with SIGKILL, and a process manager above npm killed with SIGKILL (npm survives that as an
// orphan, so start.js must notice its launcher's parent is gone). SIGTERM is in start.test.ts.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { redisAnswers } from '../../lib/redis.js';
import { type LocalStack, startLocalStack, wholeStack } from '../support/localStack.js';

const BOUND_MS = 45_000;

describe('npm start stops the whole stack', () => {
  let stack: LocalStack | undefined;

  afterEach(async () => {
    await stack?.cleanup();
    stack = undefined;
  });

  const stopsEverything = async (running: LocalStack, how: string) => {
    const left = await running.waitUntilAllGone(BOUND_MS);
    assert.deepEqual(
      left.map((info) => `${info.pid} ${info.command}`),
      [],
      `processes left running ${BOUND_MS / 1000} s after ${how}:\n${running.lines.slice(-20).join('\n')}`,
    );
    assert.equal(await redisAnswers(running.env.REDIS_URL as string, 300), false, 'its redis-server is gone');
  };

  it('on SIGINT to the npm process', async () => {
    stack = await startLocalStack();
    await stack.up();
    await stack.waitForProcesses(wholeStack, 'whole stack running', 60_000);
    stack.child.kill('SIGINT');
    await stopsEverything(stack, 'SIGINT to npm');
    assert.equal((await stack.exited).code, 0);
  });

  it('on Ctrl-C in a terminal (SIGINT to the whole process group), letting every role stop gracefully', async () => {
    stack = await startLocalStack({ group: true });
    await stack.up();
    await stack.waitForProcesses(wholeStack, 'whole stack running', 60_000);
    // A terminal signals its foreground job's group: npm and start.js both get SIGINT, and npm
    // forwards its own, so start.js sees two in a row that are one Ctrl-C, not a second one.
    process.kill(-(stack.child.pid as number), 'SIGINT');
    await stopsEverything(stack, 'SIGINT to the process group');
    assert.equal((await stack.exited).code, 0);
    const text = stack.lines.join('\n');
    assert.doesNotMatch(text, /killing the roles now/);
    for (const consumer of ['consumer-cleaned', 'consumer-raw']) {
      assert.match(
        text,
        new RegExp(`"name":"${consumer}".*"msg":"daemon stopped"`),
        `${consumer} stopped by itself`,
      );
    }
  });

  it('when the npm process is killed with SIGKILL', async () => {
    stack = await startLocalStack();
    await stack.up();
    await stack.waitForProcesses(wholeStack, 'whole stack running', 60_000);
    stack.child.kill('SIGKILL');
    await stopsEverything(stack, 'SIGKILL to npm');
  });

  it('when the process manager running npm is killed with SIGKILL', async () => {
    stack = await startLocalStack({ via: 'manager' });
    await stack.up();
    await stack.waitForProcesses(
      (seen) => wholeStack(seen) && seen.some((info) => /\bnpm\b/.test(info.command)),
      'whole stack running under npm',
      60_000,
    );
    stack.child.kill('SIGKILL');
    await stopsEverything(stack, 'SIGKILL to the manager');
  });
});
