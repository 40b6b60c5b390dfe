// Static checks of the Dockerfile and .dockerignore: the facts a build or a run on AWS would
// otherwise be the first to find wrong. test/image/ builds the image and runs every role in it
// (npm run test:image, not part of npm test: it needs root and minutes).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type Copy,
  DockerfileParser,
  type Instruction,
  type JSONInstruction,
  type Run,
} from 'dockerfile-ast';
import { ValidationSeverity, validate } from 'dockerfile-utils';
import { defaultJarsDir } from '../../consumers/amazon/amazonDaemon.js';
import { logbackConfiguration, propertiesTemplate } from '../../consumers/amazon/properties.js';
import { compiledFolders, imageContextExcludes } from '../../infra/constructs/services.js';

// This file runs as dist/test/container/dockerfile.test.js.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const read = (file: string) => readFileSync(path.join(repo, file), 'utf8');
const dockerfile = read('Dockerfile');
const instructions = DockerfileParser.parse(dockerfile).getInstructions();

const words = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const jsonWords = (i: Instruction) => (i as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());

/** The build stages: each FROM starts one, named by its AS, on a base that may be an earlier stage. */
interface Stage {
  name: string | undefined;
  base: string;
  instructions: Instruction[];
}
const stages: Stage[] = [];
for (const instruction of instructions) {
  if (instruction.getKeyword() === 'FROM') {
    const [base = '', as, name] = words(instruction);
    stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, base, instructions: [] });
  } else stages.at(-1)?.instructions.push(instruction);
}

/** A stage's instructions preceded by those of the stages it is built FROM. */
function lineage(stage: Stage): Instruction[] {
  const parent = stages.find((s) => s.name !== undefined && s.name === stage.base);
  return parent ? [...lineage(parent), ...stage.instructions] : stage.instructions;
}
const lastStage = stages.at(-1);
assert.ok(lastStage, 'the Dockerfile has a FROM');
/** What the image is made of: the last stage and every stage it builds on. */
const runtime = lineage(lastStage);

/** The runtime's instructions, each with the working directory it runs in. */
function withWorkdir(): { instruction: Instruction; workdir: string }[] {
  let workdir = '/';
  return runtime.map((instruction) => {
    if (instruction.getKeyword() === 'WORKDIR')
      workdir = path.posix.resolve(workdir, instruction.getArgumentsContent() ?? '');
    return { instruction, workdir };
  });
}

/** Where each source of a COPY lands in the image (flags such as --from left out). */
function copied(instruction: Instruction, workdir: string): Map<string, string> {
  const args = words(instruction).filter((w) => !w.startsWith('--'));
  const destination = args.at(-1) ?? '';
  const sources = args.slice(0, -1);
  const into = path.posix.resolve(workdir, destination);
  const isFolder = destination.endsWith('/') || sources.length > 1;
  return new Map(
    sources.map((source) => [source, isFolder ? path.posix.join(into, path.posix.basename(source)) : into]),
  );
}

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
      const found = stage.some(
        ({ instruction, workdir }) =>
          instruction.getKeyword() === 'COPY' &&
          copied(instruction, workdir).get(relative) === path.posix.join(appRoot, relative),
      );
      assert.ok(found, `${relative} is copied to ${path.posix.join(appRoot, relative)}`);
    }
  });

  it('runs Node 24 in every stage, and creates the man folder the JRE install needs on slim', () => {
    const stageNames = new Set(stages.map((s) => s.name));
    const bases = instructions
      .filter((i) => i.getKeyword() === 'FROM')
      .map((i) => words(i)[0] ?? '')
      .filter((base) => !stageNames.has(base));
    assert.ok(bases.length >= 1);
    for (const base of bases) assert.equal(base, 'node:24-bookworm-slim');
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

  it('puts the KCL jars in with one verified step, before the code, KCL_JARS=fetch by default', () => {
    const arg = runtime.find(
      (i) => i.getKeyword() === 'ARG' && (i.getArgumentsContent() ?? '').startsWith('KCL_JARS'),
    );
    assert.equal(arg?.getArgumentsContent(), 'KCL_JARS=fetch');
    const steps = runtime.filter(
      (i) => i.getKeyword() === 'RUN' && (i.getArgumentsContent() ?? '').includes('kcl-jars.sh'),
    );
    assert.equal(steps.length, 1, 'one RUN puts the jars in');
    const [step] = steps;
    assert.ok(step);
    const content = step.getArgumentsContent() ?? '';
    // Into the folder the launcher reads, relative to /app as node_modules is to the repository.
    const jarsDir = path.relative(repo, defaultJarsDir()).split(path.sep).join('/');
    assert.match(content, new RegExp(`kcl-jars\\.sh "\\$KCL_JARS" ${jarsDir} `));
    // The folder KCL_JARS=dir takes jars from is mounted, so it must exist in the context.
    const mount = (step as Run)
      .getFlags()
      .find((flag) => flag.getName() === 'mount')
      ?.getValue();
    const source = /(?:^|,)source=([^,]+)/.exec(mount ?? '')?.[1];
    assert.ok(source && existsSync(path.join(repo, source)), `the mounted folder ${source} exists`);

    const at = runtime.indexOf(step);
    const stepWorkdir = withWorkdir()[at]?.workdir ?? '';
    /** Where each file copied before the jar step lands in the image. */
    const copiedBefore = new Map(
      withWorkdir()
        .slice(0, at)
        .filter(
          ({ instruction }) => instruction.getKeyword() === 'COPY' && !(instruction as Copy).getFromFlag(),
        )
        .flatMap(({ instruction, workdir }) => [...copied(instruction, workdir)]),
    );
    for (const file of ['consumers/amazon/kcl-jars.sh', 'consumers/amazon/kcl-jars.sha256'])
      assert.ok(copiedBefore.has(file), `${file} is in the image before the jar step`);
    // kcl-jars.sh runs the pin tool from ../../scripts beside itself (fetch downloads with it), and
    // the tool finds aws-kcl in the node_modules beside its own folder: the jar step's /app.
    const script = copiedBefore.get('consumers/amazon/kcl-jars.sh') ?? '';
    const tool = path.posix.resolve(path.posix.dirname(script), '..', '..', 'scripts', 'pin-kcl-jars.js');
    assert.equal(
      copiedBefore.get('scripts/pin-kcl-jars.js'),
      tool,
      'the pin tool is where kcl-jars.sh looks',
    );
    assert.ok(existsSync(path.join(repo, 'scripts', 'pin-kcl-jars.js')));
    const install = withWorkdir()
      .slice(0, at)
      .findLast(
        ({ instruction }) =>
          instruction.getKeyword() === 'RUN' && /npm ci/.test(instruction.getArgumentsContent() ?? ''),
      );
    assert.ok(install, 'node_modules is installed before the jar step');
    assert.equal(install.workdir, stepWorkdir, 'the jar step runs where node_modules is');
    assert.equal(
      path.posix.dirname(path.posix.dirname(tool)),
      install.workdir,
      'the tool sits beside node_modules',
    );
    const dist = runtime.findIndex((i) => i.getKeyword() === 'COPY' && words(i).includes('/app/dist'));
    assert.ok(dist > at, 'the code is copied after the jars, so a code change does not fetch them again');
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
    for (const name of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'consumers',
      'consumers/amazon/jars',
      'bin',
      'lib',
      'local',
      'scripts',
    ])
      assert.ok(!excludes(name) && !patterns.includes('*'), `${name} stays in`);
  });

  it('keeps tests, benchmarks and the CDK app out of the image', () => {
    for (const name of ['test', 'bench', '*.test.ts', 'infra'])
      assert.ok(excludes(name), `${name} is excluded`);
  });

  it("lets into cdk deploy's build context everything the Dockerfile takes from its context", () => {
    // cdk deploy builds with its own allow-list (infra/constructs/services.ts), not only
    // .dockerignore: a file copied here but left out there fails only at deploy time.
    const allowed = imageContextExcludes(compiledFolders(repo))
      .filter((p) => p.startsWith('!'))
      .map((p) => p.slice(1));
    const sources = instructions.flatMap((i) => {
      if (i.getKeyword() === 'COPY' && !(i as Copy).getFromFlag()) return words(i).slice(0, -1);
      if (i.getKeyword() === 'RUN') {
        const mount = (i as Run)
          .getFlags()
          .find((flag) => flag.getName() === 'mount')
          ?.getValue();
        const source = /(?:^|,)source=([^,]+)/.exec(mount ?? '')?.[1];
        return source ? [source] : [];
      }
      return [];
    });
    assert.ok(sources.includes('scripts/slim-node-modules.sh'));
    assert.ok(sources.includes('scripts/pin-kcl-jars.js'));
    for (const source of sources.filter((p) => p !== '.'))
      assert.ok(allowed.includes(source.split('/')[0] ?? ''), `${source} reaches cdk deploy's build context`);
  });
});
