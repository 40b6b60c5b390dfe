// `npx cdk synth` from the repository, as a newcomer runs it: the real CLI, cdk.json's app command,
// no AWS credentials or config, no network (metadata lookups and notices off so nothing waits).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../infra/paths.js';

test('npx cdk synth works offline with no AWS credentials', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
  const home = mkdtempSync(path.join(os.tmpdir(), 'cdk-home-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  try {
    const result = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
        'synth',
        '--no-notices',
        '-q',
        '-o',
        out,
      ],
      {
        cwd: repoRoot,
        env: {
          ...env,
          HOME: home, // no ~/.aws
          AWS_EC2_METADATA_DISABLED: 'true',
          CDK_DISABLE_CLI_TELEMETRY: 'true',
          CI: 'true',
        },
        encoding: 'utf8',
        timeout: 240_000,
      },
    );
    assert.equal(result.status, 0, `cdk synth failed:\n${result.stdout}\n${result.stderr}`);
    const template = JSON.parse(readFileSync(path.join(out, 'Brewstream.template.json'), 'utf8'));
    assert.ok(Object.keys(template.Resources).length > 50);
    assert.ok(existsSync(path.join(out, 'manifest.json')));
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
});
