// `npm run verify` against `npm start`, as a user runs both: the stack with its own ports, data
// directory, Redis and namespace, and the command through npm (without its prebuild, like
// startLocalStack). Once the first model is served every local check passes and each AWS-only one
// is skipped with its reason; then the cleaned consumer is stopped (SIGSTOP: the processes stay,
// the work and the lease's heartbeat stop), and the command fails naming that part.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalStack, startLocalStack } from '../support/localStack.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `npm run verify -- <args>` with the stack's environment: its exit code and output. */
function verify(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'verify', '--ignore-scripts', '--', ...args], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** The report's line for one check, `PASS  ready  ...`. */
function line(output: string, check: string): string {
  const found = output.split('\n').find((l) => new RegExp(`^(PASS|FAIL|SKIP)  ${check}\\s`).test(l));
  assert.ok(found, `no line for ${check} in:\n${output}`);
  return found;
}

/** One stack for both tests: starting it and its first training take minutes. */
async function startStack(): Promise<LocalStack> {
  // A short lease, so a stopped daemon's lease is gone within seconds.
  const stack = await startLocalStack({ env: { KCL_LEASE_TTL_MS: '4000' } });
  await stack.up();
  await stack.waitForLine((l) => l.includes('first prediction served'), 'the first model served', 300_000);
  return stack;
}

describe('npm run verify against npm start', () => {
  let stack: LocalStack;
  const stopped: number[] = [];

  before(async () => {
    stack = await startStack();
  });

  after(async () => {
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    await stack?.cleanup();
  });

  it('passes every local check and skips each AWS-only one, saying why', async () => {
    const { code, output } = await verify(stack.env, [
      '--local',
      stack.dataDir,
      '--record-timeout',
      '90',
      '--retrain-timeout',
      '600',
    ]);
    assert.equal(code, 0, output);
    assert.match(
      output,
      new RegExp(`brewstream verify: npm start \\(pid \\d+\\) in ${stack.dataDir}: ${stack.baseUrl}`),
    );
    assert.match(line(output, 'ready'), /^PASS {2}ready\s+\/ready 200: status ready, model \d{8}T/);
    assert.match(
      line(output, 'stream → cleaned'),
      /^PASS .* beer \d+ \(shardId-\d+, sequence …\d+\) in s3:\/\/cleaned\/rows\/dt=\d{4}-\d\d-\d\d\/shardId-\d+\/\d+\.csv after [\d.]+ s$/,
    );
    assert.match(line(output, 'retrain'), /^PASS {2}retrain\s+job \S+ completed in \d+ s: /);
    assert.match(
      line(output, 'prediction'),
      /^PASS {2}prediction\s+\/predict served ibu [\d.]+ by the champion \d{8}T/,
    );
    assert.match(
      line(output, 'consumer leases'),
      /^PASS .*holds kcl:brewstream-cleaned-[0-9a-f]{8}:beers:lease .* over the stream's 2 open shards/,
    );
    for (const check of ['athena', 'alarm subscription', 'alarm delivery'])
      assert.match(line(output, check), /^SKIP .*AWS only: npm start has no /);
    assert.match(output, /5 passed, 0 failed, 3 skipped/);
  });

  it('fails, naming the consumer, when the cleaned consumer is stopped', async () => {
    // The daemon and its processors: the lease's heartbeat and the reading stop together.
    const consumer = stack
      .seen()
      .filter((info) => /brewstream\.js (consumer|processor) cleaned/.test(info.command))
      .map((info) => info.pid);
    assert.ok(consumer.length >= 2, 'the cleaned daemon and its processors are running');
    for (const pid of consumer) {
      process.kill(pid, 'SIGSTOP');
      stopped.push(pid);
    }
    // Without --local: it finds the running npm start by its data directory (LOCAL_DATA_DIR).
    const result = await verify(stack.env, ['--record-timeout', '10', '--retrain-timeout', '600']);
    // The lease outlives the stop by up to its TTL; the record check takes longer than that.
    assert.equal(result.code, 1, result.output);
    assert.match(
      line(result.output, 'stream → cleaned'),
      /^FAIL .*not in s3:\/\/cleaned\/rows\/ within 10 s: is the cleaned consumer reading\?/,
    );
    assert.match(
      line(result.output, 'consumer leases'),
      /^FAIL .*no daemon holds kcl:brewstream-cleaned-[0-9a-f]{8}:beers:lease: the cleaned consumer is down or stopped/,
    );
    // The rest of the stack is fine, and the report says so.
    assert.match(line(result.output, 'ready'), /^PASS/);
    assert.match(line(result.output, 'prediction'), /^PASS/);
  });
});
