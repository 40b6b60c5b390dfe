// docs/aws.md is the deploy guide; these checks keep it in step with the template: every setting
// in cdk.json is in its table, every alarm the stack makes is in its alarm table, and what
// `cdk destroy` keeps is what it says.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, cdkJsonContext } from '../../infra/app.js';
import { repoRoot } from '../../infra/paths.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped
type Json = Record<string, any>;

const guide = readFileSync(path.join(repoRoot, 'docs', 'aws.md'), 'utf8');
const section = (title: string) => {
  const start = guide.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `docs/aws.md has no section ${title}`);
  const end = guide.indexOf('\n## ', start + 1);
  return guide.slice(start, end < 0 ? undefined : end);
};
let outdir: string;
let resources: Record<string, Json>;

before(() => {
  outdir = mkdtempSync(path.join(os.tmpdir(), 'brewstream-docs-'));
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), allowKeysOverHttp: true, 'aws:cdk:bundling-stacks': [] },
  });
  const { stack } = buildApp(app, { account: '123456789012', region: 'eu-west-1' });
  app.synth();
  resources = Template.fromStack(stack).toJSON().Resources;
});

after(() => rmSync(outdir, { recursive: true, force: true }));

describe('docs/aws.md matches the template', () => {
  test('every setting of cdk.json is in the settings table', () => {
    const settings = section('Settings');
    for (const key of Object.keys(cdkJsonContext()).filter((k) => !k.startsWith('@')))
      assert.ok(settings.includes(`\`${key}\``), `docs/aws.md Settings does not name ${key}`);
  });

  test('every alarm is in the alarm table', () => {
    const alarms = section('Logs and alarms');
    const ids = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([id]) => /^Monitoring([A-Za-z0-9]+?)[0-9A-F]{8}$/.exec(id)?.[1]);
    assert.ok(ids.length > 5);
    for (const id of ids) assert.ok(alarms.includes(`\`${id}\``), `docs/aws.md does not list alarm ${id}`);
  });

  test('the teardown names what the stack keeps: the four buckets, nothing else with data', () => {
    const kept = Object.entries(resources)
      .filter(([, r]) => r.DeletionPolicy === 'Retain' && r.Type === 'AWS::S3::Bucket')
      .map(([id]) => id.replace(/^Storage/, '').replace(/[0-9A-F]{8}$/, ''));
    assert.deepEqual(kept.sort(), ['AccessLogs', 'Cleaned', 'Models', 'Raw']);
    const teardown = section('Tearing it down');
    assert.match(teardown, /the four buckets: raw, cleaned, models and access logs/);
    // Nothing else that holds data or a name is retained.
    for (const [id, r] of Object.entries(resources))
      if (r.DeletionPolicy === 'Retain')
        assert.ok(
          ['AWS::S3::Bucket', 'AWS::Logs::LogStream'].includes(r.Type),
          `${id} (${r.Type}) is retained`,
        );
    for (const what of ['stream', 'Glue database', 'lease table', 'Redeploy after destroy'])
      assert.ok(teardown.includes(what), `the teardown does not mention ${what}`);
  });
});
