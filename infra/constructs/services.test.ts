import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { IgnoreStrategy, Stack } from 'aws-cdk-lib';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { imageAssetOptions, imageContextExcludes } from './services.js';

describe('imageContextExcludes', () => {
  it('excludes everything at the top, then lets in the manifests, tsconfig.json, the compiled folders and scripts/', () => {
    assert.deepEqual(imageContextExcludes(['bin', 'lib']), [
      '*',
      '!package.json',
      '!package-lock.json',
      '!tsconfig.json',
      '!bin',
      '!lib',
      '!scripts',
    ]);
  });

  it(".dockerignore's patterns come last, so what it leaves out stays out though a compiled folder is let in", () => {
    const root = path.resolve('/repo');
    const dockerignore = ['**/node_modules', 'test', 'infra', '**/*.test.ts'];
    // As CDK stages the context: .dockerignore first, then the exclude list (last match wins).
    const patterns = [...dockerignore, ...imageContextExcludes(['lib', 'test', 'infra'], dockerignore)];
    const ignores = (file: string) => IgnoreStrategy.docker(root, patterns).ignores(path.join(root, file));
    assert.equal(ignores('lib/beer.ts'), false);
    assert.equal(ignores('scripts/slim-node-modules.sh'), false);
    assert.equal(ignores('package.json'), false);
    assert.equal(ignores('test/infra/synth.test.ts'), true);
    assert.equal(ignores('test/support/anything.ts'), true);
    assert.equal(ignores('infra/app.ts'), true);
    assert.equal(ignores('lib/beer.test.ts'), true);
    assert.equal(ignores('cdk.out/asset.1/Dockerfile'), true);
    // Without the trailing copy, the compiled folders' allow-list lets test/ and infra/ back in.
    const allowListLast = [...dockerignore, ...imageContextExcludes(['lib', 'test', 'infra'])];
    assert.equal(IgnoreStrategy.docker(root, allowListLast).ignores(path.join(root, 'test/x.ts')), false);
  });
});

describe('the image asset hash', () => {
  /** A small repository: .dockerignore, tsconfig.json's include, a compiled folder, tests. */
  function fakeRepository(): string {
    const root = mkdtempSync(path.join(os.tmpdir(), 'image-context-'));
    const files: Record<string, string> = {
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '# tests stay out\ntest\ninfra\n**/*.test.ts\n',
      'tsconfig.json': JSON.stringify({ include: ['lib', 'infra', 'test'] }),
      'package.json': '{}',
      'package-lock.json': '{}',
      'lib/beer.ts': 'export const beer = 1;\n',
      'lib/beer.test.ts': 'test\n',
      'infra/app.ts': 'app\n',
      'test/a.test.ts': 'test\n',
      'scripts/slim-node-modules.sh': 'true\n',
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    return root;
  }

  /** The hash CDK gives the image asset, with the options the stack builds it with. */
  const hash = (root: string) =>
    new DockerImageAsset(new Stack(), 'Image', { directory: root, ...imageAssetOptions(root) }).assetHash;

  it('stays the same when a test, infra/ or a test file beside the code changes, and changes with the code', () => {
    const root = fakeRepository();
    try {
      const before = hash(root);
      writeFileSync(path.join(root, 'test', 'probe.ts'), '// an edit under test/\n');
      writeFileSync(path.join(root, 'infra', 'app.ts'), 'app, edited\n');
      writeFileSync(path.join(root, 'lib', 'beer.test.ts'), 'test, edited\n');
      assert.equal(hash(root), before);
      writeFileSync(path.join(root, 'lib', 'beer.ts'), 'export const beer = 2;\n');
      assert.notEqual(hash(root), before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
