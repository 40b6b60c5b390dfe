// `npm start` as a user runs it: the whole local stack as a child process. It comes up, the
// producer replays the 325 beers onto every shard, and SIGTERM stops it all with no orphan.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { kinesisClient } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { readStream } from '../../local/readStream.js';
import { S3RVER_CREDENTIALS } from '../../local/s3StandIn.js';
import { freePort } from '../support/ports.js';

const startScript = path.resolve(import.meta.dirname, '..', '..', 'local', 'start.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  let dir: string;
  let child: ChildProcess;
  const lines: string[] = [];
  const pids = new Set<number>();
  let env: Record<string, string>;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'brewstream-start-'));
    const id = randomBytes(3).toString('hex');
    env = {
      ...(process.env as Record<string, string>),
      LOCAL_DATA_DIR: dir,
      KINESIS_PORT: String(await freePort()),
      S3_PORT: String(await freePort()),
      PORT: String(await freePort()),
      STREAM_NAME: `start-${id}`,
      QUEUE_PREFIX: `start-${id}`,
      KCL_APPLICATION_NAME: `start-${id}`,
      PRODUCER_INTERVAL_S: '3600',
      LOG_LEVEL: 'info',
      AWS_ENDPOINT_URL_KINESIS: '',
      AWS_ENDPOINT_URL_S3: '',
    };
    child = spawn(process.execPath, [startScript], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) => {
        lines.push(line);
        for (const match of line.matchAll(/"pid":(\d+)/g)) pids.add(Number(match[1]));
      });
    }
  });

  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('comes up and the producer replays all 325 beers onto every shard', async () => {
    const deadline = Date.now() + 60_000;
    while (!lines.some((line) => line.includes('brewstream is up'))) {
      assert.ok(Date.now() < deadline, `stack did not come up:\n${lines.join('\n')}`);
      assert.equal(child.exitCode, null, `npm start exited:\n${lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const clientEnv = {
      ...S3RVER_CREDENTIALS,
      AWS_ENDPOINT_URL_KINESIS: `http://127.0.0.1:${env.KINESIS_PORT}`,
    };
    Object.assign(process.env, clientEnv);
    const kinesis = kinesisClient(loadConfig({ ...env, ...clientEnv }));
    let ids = new Set<string>();
    let shards: Awaited<ReturnType<typeof readStream>> = [];
    while (ids.size < 325) {
      assert.ok(
        Date.now() < deadline,
        `only ${ids.size} beers on the stream:\n${lines.slice(-20).join('\n')}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      shards = await readStream(kinesis, env.STREAM_NAME as string);
      ids = new Set(shards.flatMap((shard) => [...shard.ids]));
    }
    assert.equal(shards.length, 2);
    for (const shard of shards) assert.ok(shard.records > 0, `${shard.shardId} is empty`);
    kinesis.destroy();
  });

  it('stops every process it started on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(
      pids.size >= 2,
      `expected the supervisor and at least one role to log their pids, saw ${[...pids]}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const orphans = [...pids].filter(alive);
    assert.deepEqual(orphans, [], `processes left running: ${orphans.join(', ')}`);
  });
});
