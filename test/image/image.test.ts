// The container image, built and run here (npm run test:image; not part of npm test: it needs root,
// buildah and podman, and minutes). scripts/image-base.sh makes the node:<major>-bookworm-slim base
// from Debian's packages and npm (no container registry is reachable), buildah builds the
// Dockerfile as written with KCL_JARS=skip (Maven Central is not reachable either; the jar step is
// built alone from a folder and from a stand-in repository), and each role
// runs in its own container on the host network against the stand-ins of test/support/stack.ts
// and the shared Redis, under fresh names. The image's size and build time are reported.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import beers from 'punkapi-db' with { type: 'json' };
import { kinesisClient, s3Client } from '../../lib/aws.js';
import { modelRegistry } from '../../lib/modelRegistry.js';
import { createRedis } from '../../lib/redis.js';
import { retrainQueue } from '../../lib/retrainQueue.js';
import { cleanedRows } from '../support/buckets.js';
import { startMavenStandIn } from '../support/mavenStandIn.js';
import { freePort } from '../support/ports.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { sleep, waitFor } from '../support/wait.js';

// This file runs as dist/test/image/image.test.js.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const image = process.env.BREWSTREAM_TEST_IMAGE ?? 'localhost/brewstream:test-image';
/** The size the wasm-only image without jars must stay within (issue 15). */
const MAX_IMAGE_MB = 700;
/** ECS's default stopTimeout: a role still running after it gets SIGKILL. */
const ECS_STOP_TIMEOUT_S = 30;
// podman and buildah read only test/image/containers.conf (runc, the host's ulimits).
const toolEnv = { ...process.env, CONTAINERS_CONF: path.join(repo, 'test', 'image', 'containers.conf') };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command to its end, killed after timeoutMs so nothing here can hang. */
function run(command: string, args: string[], timeoutMs: number, cwd = repo): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd, env: toolEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const tail = (text: string, lines = 25) => text.trim().split('\n').slice(-lines).join('\n');
const failed = (what: string, ran: Ran) =>
  `${what}: exit ${ran.code}\n${tail(`${ran.stdout}\n${ran.stderr}`)}`;

function buildArgs(context: string, tag: string, buildArgsList: string[], target?: string): string[] {
  return [
    'bud',
    '--isolation',
    'chroot',
    '--pull=never',
    '--layers',
    '--force-rm',
    ...buildArgsList.flatMap((arg) => ['--build-arg', arg]),
    ...(target ? ['--target', target] : []),
    '-t',
    tag,
    context,
  ];
}

/** Runs one command in `image` (no network, removed after), as `podman run --entrypoint` does. */
const inImage = (image: string, command: string, args: string[]) =>
  run('podman', ['run', '--rm', '--network', 'none', '--entrypoint', command, image, ...args], 60_000);

const onPath = async (tool: string) => (await run('sh', ['-c', `command -v ${tool}`], 10_000)).code === 0;
const missingTools = (
  await Promise.all(['buildah', 'podman'].map(async (tool) => ((await onPath(tool)) ? undefined : tool)))
).filter((tool) => tool !== undefined);
const skip =
  missingTools.length > 0
    ? `${missingTools.join(' and ')} not installed (npm run test:image installs them as root on Debian)`
    : process.getuid?.() !== 0
      ? 'needs root (buildah and podman run rootful here)'
      : false;

describe('the container image', { skip }, () => {
  const id = randomBytes(4).toString('hex');
  const containers: string[] = [];
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'brewstream-image-'));
  let build: Ran;
  let stack: TestStack;
  let s3: S3Client;
  let env: Record<string, string>;

  /** `-e NAME=value` for the stack's names and endpoints plus the given variables. */
  const envFlags = (extra: Record<string, string> = {}) =>
    Object.entries({ ...env, ...extra }).flatMap(([name, value]) => ['-e', `${name}=${value}`]);

  /** Starts a role in the background; its container is removed after the tests. */
  async function start(role: string, args: string[], extra: Record<string, string> = {}): Promise<string> {
    const name = `brewstream-test-${id}-${role}`;
    containers.push(name);
    const ran = await run(
      'podman',
      ['run', '-d', '--name', name, '--network', 'host', ...envFlags(extra), image, role, ...args],
      60_000,
    );
    assert.equal(ran.code, 0, failed(`podman run ${role}`, ran));
    return name;
  }

  /** Runs a role to its end (bounded), returning its exit code and output. */
  const runRole = (args: string[], extra: Record<string, string> = {}, timeoutMs = 120_000) =>
    run('podman', ['run', '--rm', '--network', 'host', ...envFlags(extra), image, ...args], timeoutMs);

  const logs = async (name: string) => {
    const ran = await run('podman', ['logs', name], 30_000);
    return `${ran.stdout}${ran.stderr}`;
  };

  /** SIGTERM, as ECS stops a task; exit 0 means the role stopped by itself before any SIGKILL. */
  async function stop(name: string): Promise<{ exitCode: string; seconds: number }> {
    const ran = await run('podman', ['stop', '-t', String(ECS_STOP_TIMEOUT_S), name], 60_000);
    assert.equal(ran.code, 0, failed(`podman stop ${name}`, ran));
    const inspected = await run('podman', ['inspect', '-f', '{{.State.ExitCode}}', name], 30_000);
    return { exitCode: inspected.stdout.trim(), seconds: ran.seconds };
  }

  before(
    async () => {
      const base = await run('bash', ['scripts/image-base.sh'], 20 * 60_000);
      assert.equal(base.code, 0, failed('scripts/image-base.sh', base));
      build = await run('buildah', buildArgs('.', image, ['KCL_JARS=skip']), 45 * 60_000);
      assert.equal(build.code, 0, failed('buildah bud', build));

      stack = await startTestStack({ shards: 1 });
      s3 = s3Client(stack.config);
      env = {
        ...stack.env,
        LOG_LEVEL: 'info',
        BATCH_MAX_AGE_MS: '500',
        TRAIN_MAX_EPOCHS: '60',
        TRAIN_PATIENCE: '10',
        CHAMPION_POLL_MS: '1000',
      };
    },
    { timeout: 70 * 60_000 },
  );

  after(async () => {
    for (const name of containers) await run('podman', ['rm', '-f', '-t', '0', name], 60_000);
    s3?.destroy();
    await stack?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it(`builds from the Dockerfile as written, within ${MAX_IMAGE_MB} MB without tfjs-node and jars`, async (t) => {
    const inspected = await run('podman', ['image', 'inspect', '-f', '{{.Size}}', image], 30_000);
    assert.equal(inspected.code, 0, failed('podman image inspect', inspected));
    const megabytes = Number(inspected.stdout.trim()) / 1e6;
    const du = await inImage(image, 'du', [
      '-smc',
      '/app/node_modules',
      '/usr/lib/jvm',
      '/usr/local',
      '/app/dist',
    ]);
    t.diagnostic(`image ${image}: ${megabytes.toFixed(1)} MB, built in ${build.seconds.toFixed(0)} s`);
    t.diagnostic(`in it (du, MB): ${du.stdout.trim().split('\n').join('; ')}`);
    for (const line of build.stdout
      .split('\n')
      .filter((l) => /^(tfjs-node|slim-node-modules|kcl-jars):/.test(l)))
      t.diagnostic(`build: ${line}`);
    assert.ok(megabytes <= MAX_IMAGE_MB, `${megabytes.toFixed(1)} MB is over ${MAX_IMAGE_MB} MB`);
  });

  it('runs as the user node (uid 1000) and has java for the Amazon path', async () => {
    const uid = await inImage(image, 'id', ['-u']);
    assert.equal(uid.stdout.trim(), '1000', failed('id -u', uid));
    const java = await inImage(image, 'java', ['-version']);
    assert.equal(java.code, 0, failed('java -version', java));
    assert.match(java.stderr, /openjdk version "17\./);
  });

  it('producer --once puts a record on the stream', async () => {
    const ran = await runRole(['producer', '--once']);
    assert.equal(ran.code, 0, failed('producer --once', ran));
    const kinesis = kinesisClient(stack.config);
    try {
      const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stack.config.streamName }));
      const shard = Shards?.[0]?.ShardId;
      assert.ok(shard);
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stack.config.streamName,
          ShardId: shard,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      assert.equal(Records?.length, 1);
      const beer = JSON.parse(Buffer.from(Records?.[0]?.Data ?? []).toString('utf8'));
      assert.ok(Number.isInteger(beer.id) && beer.id > 0, 'the record is a beer with an id');
      assert.equal(Records?.[0]?.PartitionKey, String(beer.id));
    } finally {
      kinesis.destroy();
    }
  });

  it('consumer cleaned (the local daemon in the image) writes a cleaned row for every beer put', async (t) => {
    await start('trainer', []);
    await start('consumer', ['cleaned'], { KCL_DAEMON: 'local' });
    const replay = await runRole(['producer', '--replay']);
    assert.equal(replay.code, 0, failed('producer --replay', replay));

    // Every bundled beer is valid (the cleaner's own tests say so), so every id becomes a row.
    const ids = new Set((beers as Array<{ id: number }>).map((beer) => beer.id));
    const rows = await waitFor(
      'a cleaned row for every beer',
      () => cleanedRows(s3, stack.config.buckets.cleaned),
      (found) => ids.size > 0 && [...ids].every((beerId) => found.some((row) => row.id === beerId)),
      180_000,
    );
    const keys = new Set(rows.map((row) => row.key));
    t.diagnostic(`${rows.length} rows in ${keys.size} objects for ${ids.size} beers`);
    // The layout itself is the cleaned path's contract, checked by its own tests.
    for (const key of keys) assert.match(key, /^rows\/dt=\d{4}-\d{2}-\d{2}\/shardId-\d+\/[\d-]+\.csv$/);
  });

  let version = '';
  it('trainer takes the retrain jobs the consumer queued and registers a version', async (t) => {
    const redis = createRedis(stack.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const queue = retrainQueue(stack.config, redis);
    try {
      // Each batch queues a retrain (at most one waits), the last one once every row is in; a
      // processor may announce rows up to 5 s late. Done when nothing is queued twice 6 s apart.
      const pending = async () =>
        Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce(
          (sum, n) => sum + n,
          0,
        );
      await waitFor(
        'the retrain queue to drain for good',
        async () => {
          if ((await pending()) > 0) return false;
          await sleep(6000);
          return (await pending()) === 0;
        },
        (idle) => idle,
        300_000,
      );
      const completed = await queue.getJobs(['completed']);
      assert.ok(completed.length > 0, 'a retrain job completed');
      for (const job of completed) assert.equal(job.data.reason, 'new-data');
      const rowsSeen = Math.max(...completed.map((job) => job.returnvalue?.rows ?? 0));
      assert.equal(rowsSeen, beers.length, 'the last training read every cleaned row');

      const champion = await modelRegistry(s3, stack.config.buckets.models).champion();
      assert.ok(champion, 'a version was promoted');
      version = champion.version;
      const job = completed.find((j) => j.returnvalue?.version === version);
      assert.ok(job, `the completed job that registered ${version}`);
      assert.equal(job.returnvalue.backend, 'wasm', 'no tfjs-node in this build');
      const metadata = await modelRegistry(s3, stack.config.buckets.models).metadata(version);
      assert.ok(metadata, `models/ibu/${version}/metadata.json`);
      assert.equal(metadata.promoted, true);
      t.diagnostic(
        `${completed.length} retrain jobs; champion ${version}: ${metadata.dataset.rows} rows, ` +
          `${metadata.trainingSeconds.toFixed(1)} s on ${metadata.backend}`,
      );
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });

  it('server answers /health, /ready and /predict with that model, as uid 1000', async () => {
    assert.ok(version, 'the trainer test registered a version');
    const port = await freePort();
    const server = await start('server', [], { PORT: String(port), HOST: '127.0.0.1' });
    const url = `http://127.0.0.1:${port}`;
    // The fields these checks read from the server's JSON answers.
    type Answer = { status?: string; model?: string; ibu?: number; field?: string };
    const get = (route: string) =>
      fetch(`${url}${route}`, { signal: AbortSignal.timeout(5000) })
        .then(async (response) => ({ status: response.status, body: (await response.json()) as Answer }))
        .catch(() => ({ status: 0, body: undefined }));

    const health = await waitFor(
      '/health',
      () => get('/health'),
      (r) => r.status === 200,
      60_000,
    );
    assert.equal(health.body?.status, 'ok');
    const ready = await waitFor(
      '/ready',
      () => get('/ready'),
      (r) => r.body?.status === 'ready',
      60_000,
    );
    assert.equal(ready.body?.model, version);

    const predict = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ abv: 6.5, target_og: 1060 }),
      signal: AbortSignal.timeout(10_000),
    });
    const prediction = (await predict.json()) as Answer;
    assert.equal(predict.status, 200, JSON.stringify(prediction));
    assert.equal(prediction.model, version);
    assert.ok(typeof prediction.ibu === 'number' && prediction.ibu > 0, `ibu ${prediction.ibu}`);

    const bad = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ abv: 'strong', target_og: 1060 }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as Answer).field, 'abv');

    const status = await run('podman', ['exec', server, 'sh', '-c', 'grep ^Uid /proc/1/status'], 30_000);
    assert.match(status.stdout, /^Uid:\s+1000\s+1000\s+1000\s+1000/, failed('podman exec', status));
  });

  it(`SIGTERM stops server, trainer and consumer gracefully within ECS's ${ECS_STOP_TIMEOUT_S} s`, async (t) => {
    for (const role of ['server', 'trainer', 'consumer']) {
      const name = `brewstream-test-${id}-${role}`;
      assert.ok(containers.includes(name), `${role} was started`);
      const { exitCode, seconds } = await stop(name);
      t.diagnostic(`${role}: stopped in ${seconds.toFixed(2)} s, exit ${exitCode}`);
      // podman stop sends SIGKILL after the timeout: exit 137. 0 is the role's own graceful exit.
      assert.equal(exitCode, '0', `${role} exit code`);
      assert.match(
        await logs(name),
        /"signal":"SIGTERM".*"msg":"shutting down"/,
        `${role} logs its shutdown`,
      );
    }
  });

  it('the Amazon path renders its properties from the environment, then stops at once: no jars in this build', async () => {
    const name = `brewstream-test-${id}-amazon`;
    containers.push(name);
    const ran = await run(
      'podman',
      [
        'run',
        '--name',
        name,
        '--network',
        'host',
        ...envFlags({ KCL_DAEMON: 'amazon', KCL_POLL_INTERVAL_MS: '700', KCL_MAX_RECORDS: '2500' }),
        image,
        'consumer',
        'cleaned',
      ],
      60_000,
    );
    assert.equal(ran.code, 1, failed('consumer cleaned with KCL_DAEMON=amazon', ran));
    const output = `${ran.stdout}${ran.stderr}`;
    assert.match(output, /this image was built with --build-arg KCL_JARS=skip/);
    assert.match(output, /no MultiLangDaemon jars \(\/app\/node_modules\/aws-kcl\/lib\/jars\)/);
    assert.doesNotMatch(output, /^\s+at /m, 'a message, not a stack trace');

    const copy = path.join(scratch, 'cleaned.properties');
    const copied = await run('podman', ['cp', `${name}:/tmp/cleaned.properties`, copy], 30_000);
    assert.equal(copied.code, 0, failed('podman cp', copied));
    const properties = new Map(
      readFileSync(copy, 'utf8')
        .split('\n')
        .filter((line) => line.includes(' = ') && !line.startsWith('#'))
        .map((line) => line.split(' = ', 2) as [string, string]),
    );
    assert.equal(properties.get('streamName'), stack.config.streamName);
    assert.equal(properties.get('applicationName'), env.KCL_APPLICATION_NAME);
    assert.equal(properties.get('regionName'), 'us-east-1');
    assert.equal(properties.get('idleTimeBetweenReadsInMillis'), '700');
    assert.equal(properties.get('maxRecords'), '2500');
    assert.match(
      properties.get('executableName') ?? '',
      / \/app\/dist\/bin\/brewstream\.js processor cleaned$/,
    );
  });

  describe('the jar step alone, on fake jars: from a folder (KCL_JARS=dir) or a stand-in repository (fetch)', () => {
    const fakeJars = { 'fake-daemon-1.0.jar': 'not really a jar', 'fake-dependency-2.0.jar': 'nor this' };
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

    /** A copy of the build context with these jars in consumers/amazon/jars and these pins. */
    function context(name: string, jars: Record<string, string>, pins: string[]): string {
      const dir = path.join(scratch, name);
      const skipped = new Set(['node_modules', 'dist', '.git', 'cdk.out', '.brewstream']);
      cpSync(repo, dir, {
        recursive: true,
        filter: (source) =>
          !skipped.has(path.basename(source)) &&
          !(source.includes(`${path.sep}jars${path.sep}`) && source.endsWith('.jar')),
      });
      const jarsDir = path.join(dir, 'consumers', 'amazon', 'jars');
      mkdirSync(jarsDir, { recursive: true });
      for (const [file, content] of Object.entries(jars)) writeFileSync(path.join(jarsDir, file), content);
      writeFileSync(
        path.join(dir, 'consumers', 'amazon', 'kcl-jars.sha256'),
        `# pins of the fake jars\n${pins.map((line) => `${line}\n`).join('')}`,
      );
      return dir;
    }
    // Only the stage with the jars: the compiled code plays no part in them.
    const buildJars = (dir: string, tag: string, mode: string) =>
      run('buildah', buildArgs(dir, tag, [`KCL_JARS=${mode}`], 'dependencies'), 20 * 60_000);
    const goodPins = Object.entries(fakeJars).map(([file, content]) => `${sha256(content)}  ${file}`);

    it('a jar that differs from its pinned checksum fails the build, naming the jar', async () => {
      const [first = '', second = ''] = goodPins;
      const wrong = `${sha256('something else')}  ${second.split('  ')[1]}`;
      const ran = await buildJars(
        context('mismatch', fakeJars, [first, wrong]),
        `localhost/brewstream-jars:${id}`,
        'dir',
      );
      assert.notEqual(ran.code, 0, 'the build fails');
      assert.match(ran.stderr + ran.stdout, /fake-dependency-2\.0\.jar: FAILED/);
      assert.match(ran.stderr + ran.stdout, /do not match .*kcl-jars\.sha256/);
    });

    it('jars that match their pins are put in the image, which records KCL_JARS=dir', async () => {
      const tag = `localhost/brewstream-jars:${id}`;
      const ran = await buildJars(context('match', fakeJars, goodPins), tag, 'dir');
      assert.equal(ran.code, 0, failed('buildah bud --target dependencies', ran));
      try {
        const listed = await inImage(tag, 'ls', ['/app/node_modules/aws-kcl/lib/jars']);
        assert.deepEqual(
          listed.stdout.trim().split('\n').sort(),
          [...Object.keys(fakeJars), 'kcl-jars.txt'].sort(),
        );
        const record = await inImage(tag, 'cat', ['/app/node_modules/aws-kcl/lib/jars/kcl-jars.txt']);
        assert.equal(record.stdout, 'KCL_JARS=dir\n');
      } finally {
        await run('podman', ['image', 'rm', tag], 60_000);
      }
    });

    it('the default build (fetch) with nothing pinned and Maven unreachable stops at the jar step, saying how to build without it', async () => {
      // A closed port: the build (chroot isolation) shares the host's network, as its npm ci shows.
      const closed = `http://127.0.0.1:${await freePort()}/maven2`;
      const ran = await run(
        'buildah',
        buildArgs(
          context('unreachable', {}, []),
          `localhost/brewstream-jars:${id}-unreachable`,
          ['KCL_JARS=fetch', `MAVEN_REPOSITORY=${closed}`],
          'dependencies',
        ),
        20 * 60_000,
      );
      assert.notEqual(ran.code, 0, 'the build fails');
      assert.match(ran.stderr + ran.stdout, /cannot be reached from this build/);
      assert.match(ran.stderr + ran.stdout, /--build-arg KCL_JARS=dir/);
    });

    it('the default build (fetch) with nothing pinned puts in what the repository serves, with a warning and KCL_JARS_PINNED=no', async () => {
      // The stand-in repository on the host's loopback, which the build shares.
      const maven = await startMavenStandIn();
      const repository = maven.repository;
      const tag = `localhost/brewstream-jars:${id}-unpinned`;
      try {
        const ran = await run(
          'buildah',
          buildArgs(
            context('unpinned', {}, []),
            tag,
            ['KCL_JARS=fetch', `MAVEN_REPOSITORY=${repository}`],
            'dependencies',
          ),
          20 * 60_000,
        );
        assert.equal(ran.code, 0, failed('buildah bud --target dependencies (fetch, unpinned)', ran));
        assert.match(ran.stderr + ran.stdout, /WARNING: THE KCL JARS ARE NOT PINNED/);
        const record = await inImage(tag, 'cat', ['/app/node_modules/aws-kcl/lib/jars/kcl-jars.txt']);
        assert.equal(record.stdout, 'KCL_JARS=fetch\nKCL_JARS_PINNED=no\n');
        const listed = await inImage(tag, 'ls', ['/app/node_modules/aws-kcl/lib/jars']);
        const pom = readFileSync(path.join(repo, 'node_modules', 'aws-kcl', 'pom.xml'), 'utf8');
        assert.equal(
          listed.stdout
            .trim()
            .split('\n')
            .filter((f) => f.endsWith('.jar')).length,
          pom.match(/<dependency>/g)?.length,
          'one jar per dependency of the pom',
        );
      } finally {
        await maven.close();
        await run('podman', ['image', 'rm', tag], 60_000);
      }
    });
  });
});
