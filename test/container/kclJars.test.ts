// The image's jar step (consumers/amazon/kcl-jars.sh) and the tool it downloads with, which also
// pins the jars' checksums (scripts/pin-kcl-jars.js), run as real child processes on fake jars:
// Maven Central cannot be reached here, so a local HTTP server stands in for it (MAVEN_REPOSITORY).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type MavenStandIn, startMavenStandIn } from '../support/mavenStandIn.js';
import { freePort } from '../support/ports.js';

// This file runs as dist/test/container/kclJars.test.js.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const script = path.join(repo, 'consumers', 'amazon', 'kcl-jars.sh');
const pinTool = path.join(repo, 'scripts', 'pin-kcl-jars.js');
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kcl-jars-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh folder under the test's temporary one. */
let folders = 0;
function folder(files: Record<string, string | Buffer> = {}): string {
  const made = path.join(dir, `f${++folders}`);
  mkdirSync(made);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(made, name), content);
  return made;
}

/** A pin file with the given lines after a comment header, as the committed one has. */
function pinFile(lines: string[]): string {
  const file = path.join(folder(), 'kcl-jars.sha256');
  writeFileSync(file, `# pinned for the test\n#\n${lines.map((l) => `${l}\n`).join('')}`);
  return file;
}

/** The jar step for the modes that download nothing. */
function jarStep(pins: string, ...args: string[]) {
  const result = spawnSync('sh', [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KCL_JARS_SHA256: pins },
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

/**
 * A child process that may download: asynchronous, as the stand-in repository answers from this
 * process's event loop. Bounded: 79 small fake jars take about a second.
 */
async function run(file: string, args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, {
      cwd: repo,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { status: 0, stdout, stderr, out: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    const [stdout, stderr] = [failed.stdout ?? '', failed.stderr ?? ''];
    return { status: failed.code ?? 1, stdout, stderr, out: `${stdout}${stderr}` };
  }
}

const jars = { 'a-1.0.jar': 'jar a', 'b-2.0.jar': 'jar b' };
const goodPins = () => Object.entries(jars).map(([name, content]) => `${sha256(content)}  ${name}`);

// The stand-in for Maven Central (test/support/mavenStandIn.ts).
let maven: MavenStandIn;
let repository: string;
let served: Map<string, Buffer>;
let tampered: Set<string>;
before(async () => {
  maven = await startMavenStandIn();
  ({ repository, served, tampered } = maven);
});
after(() => maven.close());

/** The jars last served, by file name. */
const servedJars = () =>
  new Map([...served].map(([jarPath, content]) => [path.posix.basename(jarPath), content]));

describe('the image jar step (kcl-jars.sh)', () => {
  it('accepts jars that match every pinned checksum', () => {
    const { status, out } = jarStep(pinFile(goodPins()), 'verify', folder(jars));
    assert.equal(status, 0, out);
    assert.match(out, /2 jars match/);
  });

  it('fails on a jar whose content differs, naming it', () => {
    const { status, out } = jarStep(pinFile(goodPins()), 'verify', folder({ ...jars, 'b-2.0.jar': 'evil' }));
    assert.equal(status, 1);
    assert.match(out, /b-2\.0\.jar: FAILED/);
    assert.doesNotMatch(out, /a-1\.0\.jar: FAILED/);
  });

  it('fails on a pinned jar that is missing, naming it', () => {
    const { status, out } = jarStep(pinFile(goodPins()), 'verify', folder({ 'a-1.0.jar': 'jar a' }));
    assert.equal(status, 1);
    assert.match(out, /b-2\.0\.jar/);
  });

  it('fails on a jar that is not pinned (java would load every jar of the folder)', () => {
    const { status, out } = jarStep(pinFile(goodPins()), 'verify', folder({ ...jars, 'c-3.0.jar': 'jar c' }));
    assert.equal(status, 1);
    assert.match(out, /c-3\.0\.jar is in .* but not pinned/);
  });

  it('verify and dir refuse a pin file with no checksums (nothing to check supplied jars against)', () => {
    for (const args of [
      ['verify', folder(jars)],
      ['dir', path.join(folder(), 'j'), folder(jars)],
    ]) {
      const { status, out } = jarStep(pinFile([]), ...args);
      const mode = args[0];
      assert.equal(status, 1, mode);
      assert.match(out, /pins no checksums yet/, mode);
      assert.match(out, /npm run kcl-jars:pin/, mode);
      assert.match(out, /KCL_JARS=fetch/, `${mode}: names the build that works without pins`);
    }
    const into = path.join(folder(), 'j');
    jarStep(pinFile([]), 'dir', into, folder(jars));
    assert.ok(!existsSync(into), 'dir copies nothing before the check');
  });

  it('refuses a pin line that is not "<sha256>  <name>.jar"', () => {
    const { status, out } = jarStep(pinFile([...goodPins(), 'abc  c.jar']), 'verify', folder(jars));
    assert.equal(status, 1);
    assert.match(out, /not a '<sha256> {2}<name>\.jar' line: abc {2}c\.jar/);
  });

  it('dir: copies the supplied jars, checks them and records KCL_JARS=dir', () => {
    const into = path.join(folder(), 'jars');
    const { status, out } = jarStep(pinFile(goodPins()), 'dir', into, folder({ ...jars, 'README.md': 'x' }));
    assert.equal(status, 0, out);
    assert.equal(readFileSync(path.join(into, 'a-1.0.jar'), 'utf8'), 'jar a');
    assert.ok(!existsSync(path.join(into, 'README.md')), 'only jars are copied');
    assert.equal(readFileSync(path.join(into, 'kcl-jars.txt'), 'utf8'), 'KCL_JARS=dir\n');
  });

  it('dir: fails on a supplied jar that differs, and on a folder with no jar', () => {
    const bad = jarStep(
      pinFile(goodPins()),
      'dir',
      path.join(folder(), 'j'),
      folder({ ...jars, 'a-1.0.jar': 'x' }),
    );
    assert.equal(bad.status, 1);
    assert.match(bad.out, /a-1\.0\.jar: FAILED/);
    const empty = jarStep(pinFile(goodPins()), 'dir', path.join(folder(), 'j'), folder());
    assert.equal(empty.status, 1);
    assert.match(empty.out, /KCL_JARS=dir but .* holds no \.jar file/);
  });

  it('skip: puts no jar in and records KCL_JARS=skip, even with nothing pinned', () => {
    const into = path.join(folder(), 'jars');
    const { status, out } = jarStep(pinFile([]), 'skip', into);
    assert.equal(status, 0, out);
    assert.equal(readFileSync(path.join(into, 'kcl-jars.txt'), 'utf8'), 'KCL_JARS=skip\n');
    assert.match(out, /cannot run in this image/);
  });

  describe('fetch, from the stand-in Maven Central', () => {
    /** Every jar of the pom as the stand-in serves it, by file name: learnt by one download. */
    let pomJars: Map<string, Buffer>;
    before(async () => {
      served.clear();
      tampered.clear();
      const learnt = await run(process.execPath, [pinTool, '--out', path.join(folder(), 'learn')], {
        MAVEN_REPOSITORY: repository,
      });
      assert.equal(learnt.status, 0, learnt.out);
      pomJars = servedJars();
      assert.ok(pomJars.size > 50, 'the pom lists the daemon and its dependencies');
    });

    /** Pin lines for the stand-in's jars, computed here from what it serves. */
    const pinsOf = (content: Map<string, Buffer>) =>
      [...content].map(([name, data]) => `${sha256(data)}  ${name}`);

    const fetchInto = (pins: string, env: Record<string, string> = {}) => {
      const into = path.join(folder(), 'lib', 'jars');
      return run('sh', [script, 'fetch', into], {
        KCL_JARS_SHA256: pins,
        MAVEN_REPOSITORY: repository,
        ...env,
      }).then((result) => ({ ...result, into }));
    };

    /** The folder holds exactly these jars with this content, besides the record. */
    function assertJars(into: string, expected: Map<string, Buffer>) {
      assert.deepEqual(
        readdirSync(into).sort(),
        [...expected.keys(), 'kcl-jars.txt'].sort(),
        'every jar of the pom and the record, nothing else',
      );
      for (const [name, content] of expected)
        assert.ok(readFileSync(path.join(into, name)).equals(content), `${name} is the jar served`);
    }

    it('pins filled and matching: downloads every jar, checks them and records KCL_JARS=fetch', async () => {
      tampered.clear();
      const { status, out, into } = await fetchInto(pinFile(pinsOf(pomJars)));
      assert.equal(status, 0, out);
      assertJars(into, pomJars);
      assert.equal(readFileSync(path.join(into, 'kcl-jars.txt'), 'utf8'), 'KCL_JARS=fetch\n');
      assert.match(out, new RegExp(`${pomJars.size} jars match .*kcl-jars\\.sha256`));
      assert.doesNotMatch(out, /WARNING|NOT PINNED/);
      assert.deepEqual(
        readdirSync(path.dirname(into)),
        ['jars'],
        'the download left no staging folder behind',
      );
    });

    it('pins filled, one jar different: fails naming it, and records nothing', async () => {
      tampered.clear();
      const [victim, ...others] = pinsOf(pomJars);
      assert.ok(victim);
      const name = victim.split('  ')[1] ?? '';
      const { status, out, into } = await fetchInto(
        pinFile([`${sha256('pinned other')}  ${name}`, ...others]),
      );
      assert.equal(status, 1);
      assert.match(out, new RegExp(`${name.replaceAll('.', '\\.')}: FAILED`));
      assert.equal(out.match(/: FAILED/g)?.length, 1, 'only that jar');
      assert.match(out, /do not match/);
      assert.match(out, /npm run kcl-jars:pin/, 'says how to pin again after an aws-kcl upgrade');
      assert.ok(!existsSync(path.join(into, 'kcl-jars.txt')), 'no record: the build failed');
    });

    it('pins filled but one pom jar unpinned: fails naming it (an aws-kcl upgrade not pinned again)', async () => {
      tampered.clear();
      const [dropped, ...kept] = pinsOf(pomJars);
      const name = dropped?.split('  ')[1] ?? '';
      const { status, out } = await fetchInto(pinFile(kept));
      assert.equal(status, 1);
      assert.match(out, new RegExp(`${name.replaceAll('.', '\\.')} is in .* but not pinned`));
    });

    it('pins NOT filled: checks each jar against the published SHA-1, warns, prints the pin lines and records KCL_JARS_PINNED=no', async () => {
      tampered.clear();
      const { status, stdout, stderr, into } = await fetchInto(pinFile([]));
      assert.equal(status, 0, `${stdout}${stderr}`);
      assertJars(into, pomJars);
      assert.equal(
        readFileSync(path.join(into, 'kcl-jars.txt'), 'utf8'),
        'KCL_JARS=fetch\nKCL_JARS_PINNED=no\n',
      );
      // The warning goes to stderr, where a build's log always shows it.
      assert.match(stderr, /WARNING: THE KCL JARS ARE NOT PINNED/);
      assert.match(stderr, /only against the SHA-1 Maven Central\s+(kcl-jars: )?publishes/);
      assert.match(stderr, /no pinned supply chain/);
      assert.match(stderr, /npm ci && npm run kcl-jars:pin/);
      assert.match(stderr, /commit consumers\/amazon\/kcl-jars\.sha256/);
      const printed = new Set(stderr.split('\n'));
      for (const line of pinsOf(pomJars)) assert.ok(printed.has(line), `the pin line ${line} is printed`);
      assert.match(
        `${stdout}${stderr}`,
        new RegExp(`${pomJars.size} jars match the SHA-256 computed from the download`),
      );
    });

    it('a published SHA-1 that differs fails the build, naming the jar, and puts nothing in', async () => {
      const victim = [...served.keys()].find((p) =>
        p.includes('/software/amazon/kinesis/amazon-kinesis-client/'),
      );
      assert.ok(victim);
      tampered.clear();
      tampered.add(victim);
      try {
        // Pinned or not: the SHA-1 check comes first, and the unpinned build relies on it alone.
        for (const pins of [pinFile([]), pinFile(pinsOf(pomJars))]) {
          const { status, out, into } = await fetchInto(pins);
          assert.equal(status, 1);
          assert.match(
            out,
            new RegExp(
              `${path.posix.basename(victim).replaceAll('.', '\\.')}: SHA-1 [0-9a-f]{40} differs from the published`,
            ),
          );
          assert.match(out, /none was put in/);
          assert.ok(!existsSync(into), 'no jar, no record');
          assert.deepEqual(readdirSync(path.dirname(into)), [], 'no staging folder left behind');
        }
      } finally {
        tampered.clear();
      }
    });

    it('Maven Central unreachable: a clear message naming KCL_JARS=dir and skip, nothing put in', async () => {
      const closed = `http://127.0.0.1:${await freePort()}/maven2`;
      const { status, out, into } = await fetchInto(pinFile([]), { MAVEN_REPOSITORY: closed });
      assert.equal(status, 1);
      assert.match(out, new RegExp(`the Maven repository ${closed} cannot be reached from this build`));
      assert.match(out, /ECONNREFUSED/, 'the network error itself, not hidden');
      assert.match(out, /--build-arg KCL_JARS=dir/);
      assert.match(out, /--build-arg KCL_JARS=skip/);
      assert.ok(!existsSync(into));
    });
  });

  it('an unknown mode is an error naming it', () => {
    const { status, out } = jarStep(pinFile(goodPins()), 'download', folder());
    assert.equal(status, 1);
    assert.match(out, /unknown mode 'download'/);
  });
});

describe('pinning the jars (npm run kcl-jars:pin)', () => {
  const pin = (...args: string[]) =>
    run(process.execPath, [pinTool, ...args], { MAVEN_REPOSITORY: repository });

  it('pins the SHA-256 of every jar in aws-kcl pom.xml, which the jar step then accepts', async () => {
    served.clear();
    const out = path.join(folder(), 'kcl-jars.sha256');
    tampered.clear();
    const result = await pin('--out', out);
    assert.equal(result.status, 0, result.stderr);

    const pom = readFileSync(path.join(repo, 'node_modules', 'aws-kcl', 'pom.xml'), 'utf8');
    const dependencies = pom.match(/<dependency>/g)?.length ?? 0;
    assert.ok(dependencies > 50, 'the pom lists the daemon and its dependencies');
    assert.equal(served.size, dependencies, 'one download per dependency');
    const lines = readFileSync(out, 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    const expected = [...served].map(
      ([jarPath, content]) => `${sha256(content)}  ${path.posix.basename(jarPath)}`,
    );
    assert.deepEqual([...lines].sort(), expected.sort());
    assert.ok(
      [...served.keys()].some((p) =>
        /\/software\/amazon\/kinesis\/amazon-kinesis-client-multilang\/[^/]+\//.test(p),
      ),
      'Maven layout: group folders, artifact, version',
    );

    // The written file drives the jar step: the jars as served pass, one altered jar does not.
    const jarsDir = folder(
      Object.fromEntries(
        [...served].map(([jarPath, content]) => [path.posix.basename(jarPath), content.toString()]),
      ),
    );
    const verified = jarStep(out, 'verify', jarsDir);
    assert.equal(verified.status, 0, verified.out);
    const [first] = [...served.keys()];
    assert.ok(first);
    writeFileSync(path.join(jarsDir, path.posix.basename(first)), 'altered');
    assert.equal(jarStep(out, 'verify', jarsDir).status, 1);
  });

  it('refuses a jar whose SHA-1 differs from the published one, naming it, and writes nothing', async () => {
    const victim = '/software/amazon/kinesis/amazon-kinesis-client/';
    served.clear();
    tampered.clear();
    // The first pass learns the paths; the second publishes a wrong SHA-1 for one of them.
    assert.equal((await pin('--out', path.join(folder(), 'learn'))).status, 0);
    const jarPath = [...served.keys()].find((p) => p.includes(victim));
    assert.ok(jarPath);
    tampered.add(jarPath);
    const out = path.join(folder(), 'kcl-jars.sha256');
    const jarsDir = path.join(folder(), 'jars');
    const result = await pin('--out', out, '--jars-dir', jarsDir);
    tampered.clear();
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(`${path.posix.basename(jarPath).replaceAll('.', '\\.')}: SHA-1 [0-9a-f]{40} differs`),
    );
    assert.ok(!existsSync(out), 'no pin file is written');
    assert.ok(!existsSync(jarsDir), 'no jar is written');
    assert.deepEqual(readdirSync(path.dirname(jarsDir)), [], 'no staging folder left behind');
  });

  it('--jars-dir: also writes each verified jar into the folder', async () => {
    served.clear();
    tampered.clear();
    const out = path.join(folder(), 'kcl-jars.sha256');
    const jarsDir = path.join(folder(), 'deep', 'jars');
    const result = await pin('--out', out, '--jars-dir', jarsDir);
    assert.equal(result.status, 0, result.stderr);
    const expected = servedJars();
    assert.deepEqual(readdirSync(jarsDir).sort(), [...expected.keys()].sort());
    for (const [name, content] of expected)
      assert.ok(readFileSync(path.join(jarsDir, name)).equals(content), `${name} is the jar served`);
    assert.match(result.stdout, new RegExp(`${expected.size} jars from .* their SHA-256 in .* the jars in `));
  });

  it('an unknown option is an error with the usage, and writes nothing', async () => {
    const jarsDir = path.join(folder(), 'jars');
    const result = await pin('--jar-dir', jarsDir);
    assert.equal(result.status, 2);
    assert.ok(!existsSync(jarsDir));
    assert.match(result.stderr, /Unknown option '--jar-dir'/);
    assert.match(result.stderr, /usage: pin-kcl-jars\.js \[--out FILE\] \[--jars-dir DIR\]/);
  });
});
