import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { StandIn } from './kinesisStandIn.js';

/** s3rver accepts only its own fixed key pair; local roles and tests use it as their credentials. */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } as const;

/**
 * s3rver on loopback, storing objects as files under the data folder (a temporary folder when
 * none is given), so a restart keeps the buckets. Port 0 picks a free port.
 */
export async function startS3StandIn(options: { port: number; dataDir?: string }): Promise<StandIn> {
  const directory = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'brewstream-s3-')));
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ port: options.port, address: '127.0.0.1', directory, silent: true });
  const address = await server.run();
  const port = address.port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () => server.close(),
  };
}
