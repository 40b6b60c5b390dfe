import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from './config.js';

// On Node older than 22 the SDK warns at every process start that releases after January 2027
// need Node 22. We ship and test on Node 24 (the image, the Lambda, CI); the pinned SDK still runs
// on an older Node a developer may have, where the warning would only be noise in every role's
// logs (and in each KCL processor's stderr).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Endpoints come from the SDK's own AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL_S3; we only add
// what the local stand-ins need and the SDK cannot infer.
//
// Retries (docs/design.md "Retries"): a call is retried either by the SDK (its standard mode, 3
// attempts, the default here) or by our own policy (lib/retry.ts), never both, so the budget is one
// number. Code that retries a call itself builds its client with SDK_RETRIES_OFF.

export interface ClientOptions {
  /** The SDK's attempts per call, the first included; 1 when the caller's retry policy owns the retries. */
  maxAttempts?: number;
}

/** For a client whose calls run under lib/retry.ts: one request per attempt. */
export const SDK_RETRIES_OFF: ClientOptions = { maxAttempts: 1 };

export function kinesisClient(config: Config, options: ClientOptions = {}): KinesisClient {
  return new KinesisClient({
    region: config.aws.region,
    maxAttempts: options.maxAttempts,
    // The default HTTP/2 handler fails against the stand-ins over plain http (ERR_HTTP2_ERROR);
    // HTTP/1.1 with keep-alive is also what the real service is fine with for PutRecords/GetRecords.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30_000 }),
  });
}

export function s3Client(config: Config, options: ClientOptions = {}): S3Client {
  return new S3Client({
    region: config.aws.region,
    maxAttempts: options.maxAttempts,
    // Stand-ins serve buckets by path, not by virtual host.
    forcePathStyle: config.aws.s3Endpoint !== undefined,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 60_000 }),
  });
}

/**
 * The server's API keys (server/secretKeys.ts). Short timeouts: a request whose key is unknown may
 * wait for one read, which must answer or fail in seconds. The endpoint, for a local stand-in, is
 * the SDK's own AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
export function secretsManagerClient(config: Config, options: ClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    region: config.aws.region,
    maxAttempts: options.maxAttempts,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2000, requestTimeout: 5000 }),
  });
}
