// The container image cannot be built here (no Docker engine), so these tests check the facts of
// the Dockerfile that a build or a run on AWS would otherwise be the first to find wrong.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { ValidationSeverity, validate } from 'dockerfile-utils';
import { logbackConfiguration, propertiesTemplate } from '../../consumers/amazon/properties.js';

// This file runs as dist/test/container/dockerfile.test.js.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const read = (file: string) => readFileSync(path.join(repo, file), 'utf8');
const dockerfile = read('Dockerfile');
const instructions = DockerfileParser.parse(dockerfile).getInstructions();
const lastFrom = instructions.findLastIndex((i) => i.getKeyword() === 'FROM');
const runtime = instructions.slice(lastFrom);

/** The runtime stage's instructions, each with the working directory it runs in. */
function withWorkdir(): { instruction: Instruction; workdir: string }[] {
  let workdir = '/';
  return runtime.map((instruction) => {
    if (instruction.getKeyword() === 'WORKDIR')
      workdir = path.posix.resolve(workdir, instruction.getArgumentsContent() ?? '');
    return { instruction, workdir };
  });
}

const words = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const jsonWords = (i: Instruction) => (i as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());

describe('Dockerfile', () => {
  it('passes the Dockerfile validator with every warning treated as an error', () => {
    const diagnostics = validate(dockerfile, {
      deprecatedMaintainer: ValidationSeverity.ERROR,
      directiveCasing: ValidationSeverity.ERROR,
      emptyContinuationLine: ValidationSeverity.ERROR,
      instructionCasing: ValidationSeverity.ERROR,
      instructionCmdMultiple: ValidationSeverity.ERROR,
      instructionEntrypointMultiple: ValidationSeverity.ERROR,
      instructionHealthcheckMultiple: ValidationSeverity.ERROR,
      instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
      instructionWorkdirRelative: ValidationSeverity.ERROR,
    });
    assert.deepEqual(
      diagnostics.map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
      [],
    );
  });

  it('runs the roles as a non-root user, through dist/bin/brewstream.js in exec form', () => {
    const keywords = runtime.map((i) => i.getKeyword());
    const user = keywords.lastIndexOf('USER');
    const entrypoint = keywords.lastIndexOf('ENTRYPOINT');
    assert.ok(user > 0 && entrypoint > user, 'USER comes before ENTRYPOINT in the runtime stage');
    assert.doesNotMatch(runtime[user]?.getArgumentsContent() ?? '', /^(root|0)(:|$)/);

    const stage = withWorkdir();
    const entry = stage[entrypoint];
    assert.ok(entry);
    const [program, script, ...rest] = jsonWords(entry.instruction);
    assert.equal(program, 'node');
    assert.deepEqual(rest, []);
    // dist/ comes from the build stage; the entrypoint, resolved from its working directory, runs it.
    const dist = stage.find(
      ({ instruction }) => instruction.getKeyword() === 'COPY' && words(instruction).includes('/app/dist'),
    );
    assert.ok(dist, 'dist/ is copied from the build stage');
    const distInImage = path.posix.resolve(dist.workdir, words(dist.instruction).at(-1) ?? '');
    assert.equal(
      path.posix.resolve(entry.workdir, script ?? ''),
      path.posix.join(distInImage, 'bin', 'brewstream.js'),
    );
  });

  it('copies consumer.properties and logback.xml where properties.ts reads them, relative to dist/', () => {
    const stage = withWorkdir();
    const dist = stage.find(
      ({ instruction }) => instruction.getKeyword() === 'COPY' && words(instruction).includes('/app/dist'),
    );
    assert.ok(dist);
    const appRoot = path.posix.dirname(
      path.posix.resolve(dist.workdir, words(dist.instruction).at(-1) ?? ''),
    );
    // Here each file sits at the same place relative to the repository's dist/.
    for (const file of [propertiesTemplate, logbackConfiguration]) {
      const relative = path.relative(repo, file).split(path.sep).join('/');
      const copied = stage.some(({ instruction, workdir }) => {
        if (instruction.getKeyword() !== 'COPY') return false;
        const args = words(instruction);
        return (
          args[0] === relative &&
          path.posix.resolve(workdir, args.at(-1) ?? '') === path.posix.join(appRoot, relative)
        );
      });
      assert.ok(copied, `${relative} is copied to ${path.posix.join(appRoot, relative)}`);
    }
  });

  it('runs Node 24 in both stages, and creates the man folder the JRE install needs on slim', () => {
    const froms = instructions.filter((i) => i.getKeyword() === 'FROM').map((i) => words(i)[0]);
    assert.deepEqual(froms, ['node:24-bookworm-slim', 'node:24-bookworm-slim']);
    const jre = runtime.find(
      (i) => i.getKeyword() === 'RUN' && /openjdk/.test(i.getArgumentsContent() ?? ''),
    );
    assert.ok(jre, 'the runtime stage installs a JRE');
    const script = jre.getArgumentsContent() ?? '';
    assert.ok(
      script.indexOf('mkdir -p /usr/share/man/man1') >= 0 &&
        script.indexOf('mkdir -p /usr/share/man/man1') < script.indexOf('apt-get install'),
      'mkdir -p /usr/share/man/man1 runs before apt-get install',
    );
  });

  it('declares /tmp a volume, the one place a task with a read-only root filesystem writes', () => {
    const volume = runtime.find((i) => i.getKeyword() === 'VOLUME');
    assert.ok(volume);
    assert.deepEqual(jsonWords(volume), ['/tmp']);
  });

  it('names no architecture-specific path (the image may run on amd64 or arm64)', () => {
    for (const instruction of instructions)
      assert.doesNotMatch(instruction.getRawArgumentsContent() ?? '', /-(amd64|arm64|x86_64|aarch64)\b/);
  });

  it('offers only role commands that bin/brewstream.ts knows', () => {
    const source = read('bin/brewstream.ts');
    const roles = new Set([...source.matchAll(/^\s+(\w+): \(\) =>/gm)].map((m) => m[1]));
    assert.ok(roles.has('server') && roles.has('consumer'), 'the roles map is found');

    const offered = new Map<string, string>();
    for (const m of read('README.md').matchAll(/(?:brewstream\.js|`brewstream) ([a-z]+)/g))
      offered.set(m[1] as string, 'README.md');
    for (const m of dockerfile.matchAll(/docker run IMAGE ([a-z |]+)/g))
      for (const role of (m[1] as string).split('|').map((s) => s.trim().split(' ')[0]))
        if (role) offered.set(role, 'the Dockerfile header');
    const cmd = runtime.find((i) => i.getKeyword() === 'CMD');
    assert.ok(cmd, 'the runtime stage has a default role');
    offered.set(jsonWords(cmd)[0] ?? '', 'CMD');

    for (const [role, where] of offered) assert.ok(roles.has(role), `${where} offers unknown role ${role}`);
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const excludes = (name: string) => patterns.includes(name) || patterns.includes(`**/${name}`);

  it('keeps dependencies, build output, history and local data out of the build context', () => {
    for (const name of ['node_modules', 'dist', '.git', '.brewstream', 'cdk.out', 'coverage'])
      assert.ok(excludes(name), `${name} is excluded`);
  });

  it('keeps secrets out of the image', () => {
    for (const name of ['.env', '.env.*', '.npmrc']) assert.ok(excludes(name), `${name} is excluded`);
  });

  it('keeps what the build needs', () => {
    for (const name of ['package.json', 'package-lock.json', 'tsconfig.json', 'consumers', 'bin', 'lib'])
      assert.ok(!excludes(name) && !patterns.includes('*'), `${name} stays in`);
  });
});
