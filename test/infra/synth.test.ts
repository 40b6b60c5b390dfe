// `npx cdk synth` from the repository, as a newcomer runs it: the real CLI, cdk.json's app command,
// no AWS credentials or config, no network (metadata lookups and notices off so nothing waits).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../infra/paths.js';

const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_'))),
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  CI: 'true',
};

/** Runs the CLI's synth in `cwd`: its exit status and output. */
function runSynth(cwd: string, out: string, args: string[]) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'cdk-home-'));
  try {
    return spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
        'synth',
        '--no-notices',
        '-q',
        '-o',
        out,
        ...args,
      ],
      // HOME: no ~/.aws
      { cwd, env: { ...env, HOME: home }, encoding: 'utf8', timeout: 240_000 },
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Runs the CLI's synth in `cwd`; returns the template it wrote to `out`. */
function cdkSynth(cwd: string, out: string, args: string[] = []) {
  const result = runSynth(cwd, out, args);
  assert.equal(result.status, 0, `cdk synth failed:\n${result.stdout}\n${result.stderr}`);
  assert.ok(existsSync(path.join(out, 'manifest.json')));
  return JSON.parse(readFileSync(path.join(out, 'Brewstream.template.json'), 'utf8'));
}

test('npx cdk synth works offline with no AWS credentials, and refuses keys over HTTP unless told', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
  try {
    // The defaults have no certificate: the synth stops, naming the two settings that decide.
    const refused = runSynth(repoRoot, out, []);
    assert.notEqual(refused.status, 0);
    assert.match(
      `${refused.stdout}${refused.stderr}`,
      /certificateArn: not set.*allowKeysOverHttp=true for a trial/,
    );
    const template = cdkSynth(repoRoot, out, ['-c', 'allowKeysOverHttp=true']);
    assert.ok(Object.keys(template.Resources).length > 50);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** The image asset of a synthesised assembly: its hash and what its staged build context holds. */
function imageAsset(out: string): { hash: string; context: string[]; dir: string } {
  const assets = JSON.parse(readFileSync(path.join(out, 'Brewstream.assets.json'), 'utf8'));
  const entries = Object.entries(assets.dockerImages) as [string, { source: { directory: string } }][];
  assert.equal(entries.length, 1);
  const [hash, image] = entries[0] as [string, { source: { directory: string } }];
  const dir = path.join(out, image.source.directory);
  return { hash, context: readdirSync(dir).sort(), dir };
}

test('with a certificate and a narrow allowedCidr, in a folder whose path has a space, into a folder inside the repository; an edit under test/ keeps the image', () => {
  // A copy of the repository (node_modules linked), so the assembly written inside it cannot
  // disturb other tests that stage the real repository as the image's build context. Its path has
  // a space, which a file URL spells %20: the app must still see that it is the script cdk ran.
  const copy = mkdtempSync(path.join(os.tmpdir(), 'cdk repo '));
  try {
    cpSync(repoRoot, copy, {
      recursive: true,
      filter: (source) =>
        !/(^|\/)(node_modules|dist|cdk\.out|\.git|\.brewstream)$/.test(path.relative(repoRoot, source)),
    });
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'));
    // An earlier synth into another folder of the repository: its staged copy of the repository
    // must not enter the image's build context (each synth used to nest the last one deeper).
    mkdirSync(path.join(copy, 'out', 'asset.0123'), { recursive: true });
    writeFileSync(path.join(copy, 'out', 'asset.0123', 'Dockerfile'), 'FROM scratch\n');
    const args = [
      '-c',
      'certificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/abc',
      '-c',
      'allowedCidr=203.0.113.0/24',
    ];
    const out = path.join(copy, 'build', 'synth');
    const template = cdkSynth(copy, out, args);
    const listeners = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { Port: number } }>,
    )
      .filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener')
      .map((r) => r.Properties.Port)
      .sort();
    assert.deepEqual(listeners, [443, 80]);
    // The image's staged build context: the sources the roles run, no assembly, and none of what
    // .dockerignore leaves out (tests, benchmarks, the CDK app).
    const image = imageAsset(out);
    assert.deepEqual(image.context, [
      '.dockerignore',
      'Dockerfile',
      'bin',
      'consumers',
      'lib',
      'local',
      'package-lock.json',
      'package.json',
      'producer',
      // IMAGE_EXTRAS: what the Dockerfile copies from outside the compiled folders.
      'scripts',
      'server',
      'trainer',
      'tsconfig.json',
    ]);
    assert.ok(existsSync(path.join(image.dir, 'consumers', 'amazon', 'logback.xml')));
    assert.ok(existsSync(path.join(image.dir, 'scripts', 'slim-node-modules.sh')));
    assert.ok(existsSync(path.join(image.dir, 'scripts', 'pin-kcl-jars.js')));
    assert.ok(!existsSync(path.join(image.dir, 'lib', 'beer.test.ts')), 'no test beside the code');

    // An edit under test/: the same image, so a deploy rolls no service.
    writeFileSync(path.join(copy, 'test', 'asset-hash-probe.ts'), '// an edit under test/\n');
    const outAgain = path.join(copy, 'build', 'synth-again');
    cdkSynth(copy, outAgain, args);
    assert.equal(imageAsset(outAgain).hash, image.hash);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
