// The producer Lambda as `cdk deploy` ships it: synthesised (esbuild bundle included), then the
// bundle itself imported and invoked with {"replay": true} against the Kinesis stand-in.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, cdkJsonContext } from '../../infra/app.js';
import { repoRoot } from '../../infra/paths.js';
import { kinesisClient } from '../../lib/aws.js';
import { readStream } from '../../local/readStream.js';
import { startTestStack } from '../support/stack.js';

test('the bundled producer runs: a replay puts the 325 beers on a real (stand-in) stream', async () => {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'brewstream-cdk-'));
  const stack = await startTestStack({ shards: 1 });
  try {
    const app = new App({ outdir, context: { ...cdkJsonContext(), allowKeysOverHttp: true } });
    const { stack: brewstream } = buildApp(app, { account: '123456789012', region: 'eu-west-1' });
    app.synth();
    // The producer; the other function is CDK's own (restricting the VPC's default security group).
    const functions = Object.entries(Template.fromStack(brewstream).findResources('AWS::Lambda::Function'))
      .filter(([id]) => id.startsWith('Producer'))
      .map(([, fn]) => fn);
    assert.equal(functions.length, 1);
    const key: string = functions[0]?.Properties.Code.S3Key;
    const bundle = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
    assert.ok(existsSync(bundle), `no bundle at ${bundle}`);

    const { handler } = await import(pathToFileURL(bundle).href);
    const totals = await handler({ replay: true });
    assert.deepEqual(totals, { put: 325, failed: 0, skipped: 0 });
    const kinesis = kinesisClient(stack.config);
    const [shard] = await readStream(kinesis, stack.config.streamName);
    kinesis.destroy();
    assert.equal(shard?.records, 325);
  } finally {
    await stack.close();
    rmSync(outdir, { recursive: true, force: true });
  }
});

test('esbuild is a devDependency of ours, pinned, so NodejsFunction bundles locally and never falls back to Docker', () => {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const wanted: string | undefined = manifest.devDependencies.esbuild;
  assert.match(wanted ?? '', /^\d+\.\d+\.\d+$/, 'an exact version');
  // The copy the CDK finds from the project root is that version.
  const resolved = createRequire(path.join(repoRoot, 'package.json')).resolve('esbuild/package.json');
  assert.equal(JSON.parse(readFileSync(resolved, 'utf8')).version, wanted);
});
