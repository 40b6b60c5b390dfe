// The image's jar step (consumers/amazon/kcl-jars.sh) and the tool that pins the jars' checksums
// (scripts/pin-kcl-jars.js), run as real child processes on fake jars: Maven Central cannot be
// reached here, so a local HTTP server stands in for it.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// This file runs as dist/test/container/kclJars.test.js.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const script = path.join(repo, 'consumers', 'amazon', 'kcl-jars.sh');
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const sha1 = (data: string | Buffer) => createHash('sha1').update(data).digest('hex');

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kcl-jars-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh folder under the test's temporary one. */
let folders = 0;
function folder(files: Record<string, string> = {}): string {
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

function jarStep(pins: string, ...args: string[]) {
  return jarStepIn(undefined, {}, pins, ...args);
}

/** The jar step run from cwd (where it finds node_modules/aws-kcl), with extra environment. */
function jarStepIn(cwd: string | undefined, env: Record<string, string>, pins: string, ...args: string[]) {
  const result = spawnSync('sh', [script, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env, KCL_JARS_SHA256: pins },
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

const jars = { 'a-1.0.jar': 'jar a', 'b-2.0.jar': 'jar b' };
const goodPins = () => Object.entries(jars).map(([name, content]) => `${sha256(content)}  ${name}`);

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

  it('refuses a pin file with no checksums instead of skipping the check, and says how to fill it', () => {
    for (const mode of ['verify', 'fetch']) {
      const { status, out } = jarStep(pinFile([]), mode, folder(jars));
      assert.equal(status, 1, mode);
      assert.match(out, /pins no checksums yet/, mode);
      assert.match(out, /npm run kcl-jars:pin/, mode);
      assert.doesNotMatch(out, /downloaded/, `${mode} downloads nothing`);
    }
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

  describe('fetch, with a stand-in kcl-bootstrap (Maven Central is not reachable here)', () => {
    /** An app folder whose node_modules/aws-kcl/bin/kcl-bootstrap records its arguments and
     * writes the jars into --jar-path, or fails like the real one without network. */
    function app(behaviour: 'download' | 'fail'): { cwd: string; env: Record<string, string> } {
      const cwd = folder();
      const bin = path.join(cwd, 'node_modules', 'aws-kcl', 'bin');
      mkdirSync(bin, { recursive: true });
      writeFileSync(
        path.join(bin, 'kcl-bootstrap'),
        `const fs = require('node:fs'), path = require('node:path');
const args = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(path.join(cwd, 'args.json'))}, JSON.stringify(args));
if (${JSON.stringify(behaviour)} === 'fail') { console.error('getaddrinfo ENOTFOUND repo1.maven.org'); process.exit(1); }
const into = args[args.indexOf('--jar-path') + 1];
for (const [name, content] of Object.entries(${JSON.stringify(jars)})) fs.writeFileSync(path.join(into, name), content);
`,
      );
      // kcl-bootstrap wants a java even only to download; the image has one, this test a stand-in.
      const javaBin = path.join(cwd, 'java-bin');
      mkdirSync(javaBin);
      writeFileSync(path.join(javaBin, 'java'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      return { cwd, env: { PATH: `${javaBin}${path.delimiter}${process.env.PATH}` } };
    }

    it('downloads with kcl-bootstrap into the jars folder, checks the jars and records KCL_JARS=fetch', () => {
      const { cwd, env } = app('download');
      const { status, out } = jarStepIn(cwd, env, pinFile(goodPins()), 'fetch', 'lib/jars');
      assert.equal(status, 0, out);
      const args: string[] = JSON.parse(readFileSync(path.join(cwd, 'args.json'), 'utf8'));
      assert.equal(args[args.indexOf('--jar-path') + 1], 'lib/jars');
      assert.equal(
        args[args.indexOf('--properties') + 1],
        path.join(repo, 'consumers', 'amazon', 'consumer.properties'),
      );
      assert.equal(args[args.indexOf('--java') + 1], path.join(cwd, 'java-bin', 'java'));
      assert.ok(!args.includes('-e'), 'only downloads: our launcher runs java itself');
      assert.equal(readFileSync(path.join(cwd, 'lib', 'jars', 'kcl-jars.txt'), 'utf8'), 'KCL_JARS=fetch\n');
    });

    it('fails when a downloaded jar differs from its pin', () => {
      const { cwd, env } = app('download');
      const pins = [goodPins()[0] ?? '', `${sha256('other')}  b-2.0.jar`];
      const { status, out } = jarStepIn(cwd, env, pinFile(pins), 'fetch', 'lib/jars');
      assert.equal(status, 1);
      assert.match(out, /b-2\.0\.jar: FAILED/);
    });

    it('says what to do when Maven Central cannot be reached', () => {
      const { cwd, env } = app('fail');
      const { status, out } = jarStepIn(cwd, env, pinFile(goodPins()), 'fetch', 'lib/jars');
      assert.equal(status, 1);
      assert.match(out, /could not download the jars from Maven Central/);
      assert.match(out, /KCL_JARS=dir/);
    });
  });

  it('an unknown mode is an error naming it', () => {
    const { status, out } = jarStep(pinFile(goodPins()), 'download', folder());
    assert.equal(status, 1);
    assert.match(out, /unknown mode 'download'/);
  });
});

describe('pinning the jars (npm run kcl-jars:pin)', () => {
  let server: Server;
  let repository: string;
  const served = new Map<string, Buffer>();
  /** Jar paths whose .sha1 the stand-in publishes wrong. */
  const tampered = new Set<string>();

  before(async () => {
    server = createServer((request, response) => {
      const url = request.url ?? '';
      const jarPath = url.replace(/\.sha1$/, '');
      if (!jarPath.endsWith('.jar')) {
        response.writeHead(404).end();
        return;
      }
      const content = Buffer.from(`fake jar at ${jarPath}`);
      if (url.endsWith('.sha1')) {
        const published = tampered.has(jarPath) ? sha1('something else') : sha1(content);
        response.end(`${published}  ${path.posix.basename(jarPath)}\n`);
      } else {
        served.set(jarPath, content);
        response.end(content);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    repository = `http://127.0.0.1:${(server.address() as AddressInfo).port}/maven2`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // Asynchronous: the stand-in repository answers from this process's event loop.
  const pin = async (out: string) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [path.join(repo, 'scripts', 'pin-kcl-jars.js'), '--out', out],
        { cwd: repo, env: { ...process.env, MAVEN_REPOSITORY: repository }, timeout: 60_000 },
      );
      return { status: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { status: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  };

  it('pins the SHA-256 of every jar in aws-kcl pom.xml, which the jar step then accepts', async () => {
    served.clear();
    const out = path.join(folder(), 'kcl-jars.sha256');
    const result = await pin(out);
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
    assert.equal((await pin(path.join(folder(), 'learn'))).status, 0);
    const jarPath = [...served.keys()].find((p) => p.includes(victim));
    assert.ok(jarPath);
    tampered.add(jarPath);
    const out = path.join(folder(), 'kcl-jars.sha256');
    const result = await pin(out);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(`${path.posix.basename(jarPath).replaceAll('.', '\\.')}: SHA-1 [0-9a-f]{40} differs`),
    );
    assert.ok(!existsSync(out), 'nothing is written');
  });
});
