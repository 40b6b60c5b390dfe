// A small Secrets Manager for tests, on a loopback port: GetSecretValue as the SDK speaks it (a POST
// of JSON 1.1 with `x-amz-target: secretsmanager.GetSecretValue`, the secret's ARN as SecretId),
// answering the value last put with a new VersionId per put, or ResourceNotFoundException. It can
// be stopped (connections refused) and started again on the same port, as a store that goes down.
// Signatures are not checked. `npm start` does not use it: locally the keys are API_KEYS.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsManagerStandIn {
  /** For AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  endpoint: string;
  /** Gives a secret a new value (a new version, as PutSecretValue would). */
  put(arn: string, value: string): void;
  /** GetSecretValue requests answered so far, found or not. */
  readonly reads: number;
  /** Down: the port refuses connections. */
  stop(): Promise<void>;
  /** Up again, on the same port. */
  start(): Promise<void>;
}

const JSON_11 = 'application/x-amz-json-1.1';

export async function startSecretsManagerStandIn(): Promise<SecretsManagerStandIn> {
  const secrets = new Map<string, { value: string; version: string; created: number }>();
  let reads = 0;

  const answer = (response: http.ServerResponse, status: number, body: unknown, errorType?: string) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': JSON_11,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    response.end(text);
  };
  const fail = (response: http.ServerResponse, status: number, type: string, message: string) =>
    answer(response, status, { __type: type, message }, type);

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      if (request.method !== 'POST' || target !== 'secretsmanager.GetSecretValue')
        return fail(response, 400, 'UnknownOperationException', `not served here: ${String(target)}`);
      let secretId: unknown;
      try {
        secretId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId;
      } catch {
        return fail(response, 400, 'SerializationException', 'the body is not JSON');
      }
      reads += 1;
      const secret = typeof secretId === 'string' ? secrets.get(secretId) : undefined;
      if (typeof secretId !== 'string' || !secret)
        return fail(
          response,
          400,
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret.",
        );
      answer(response, 200, {
        ARN: secretId,
        Name: secretId.split(':').at(-1),
        VersionId: secret.version,
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.created,
      });
    });
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    put: (arn, value) => {
      secrets.set(arn, { value, version: randomUUID(), created: Math.floor(Date.now() / 1000) });
    },
    get reads() {
      return reads;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    start: async () => {
      await listen(port);
    },
  };
}
