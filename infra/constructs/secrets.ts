// The stack's generated secrets (the server's API keys and session secret, the Redis token).
import { Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/**
 * A secret the stack generates (letters and digits) and an operator replaces by hand, with the
 * cdk-nag rotation finding acknowledged for the reason given.
 */
export function generatedSecret(
  scope: Construct,
  id: string,
  options: { description: string; length: number; whyNoRotation: string },
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, {
    description: options.description,
    generateSecretString: { passwordLength: options.length, excludePunctuation: true },
  });
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: options.whyNoRotation });
  return secret;
}
