// The CDK app: `npx cdk synth` / `npx cdk deploy` (cdk.json runs this file through tsx).
// Settings come from context (cdk.json, or -c key=value); cdk-nag's AWS Solutions checks run on
// every synth and fail it on any finding that is not fixed or acknowledged with a reason.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { isEntryPoint, repoRoot } from './paths.js';
import { loadSettings } from './settings.js';
import { BrewstreamStack } from './stack.js';

/**
 * cdk.json's context: the defaults and the CDK feature flags the CLI passes to `cdk synth`. Tests
 * synthesise with it so that they check the template a deploy would get.
 */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')).context;
}

export function buildApp(
  app: App = new App(),
  // Deploys to the account and region of the CLI's credentials; synth needs neither.
  env: Environment = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
): { app: App; stack: BrewstreamStack } {
  const settings = loadSettings((key) => app.node.tryGetContext(key));
  const stack = new BrewstreamStack(app, settings.stackName, settings, { env });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

// Run directly (by cdk.json): synthesise.
if (isEntryPoint(import.meta.url, process.argv[1])) {
  buildApp().app.synth();
}
