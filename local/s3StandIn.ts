import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { StandIn } from './kinesisStandIn.js';
import { startConditionalFront } from './s3ConditionalWrites.js';

/** s3rver accepts only its own fixed key pair; local roles and tests use it as their credentials. */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } as const;

/**
 * s3rver on loopback, storing objects as files under the data folder (a temporary folder when
 * none is given), so a restart keeps the buckets. Port 0 picks a free port. Clients reach it through
 * the stand-in's own front (s3ConditionalWrites.ts), which adds S3's conditional write.
 */
export async function startS3StandIn(options: { port: number; dataDir?: string }): Promise<StandIn> {
  const directory = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'brewstream-s3-')));
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true });
  const inner = await server.run();
  const front = await startConditionalFront({ port: options.port, upstreamPort: inner.port }).catch(
    async (error) => {
      await server.close();
      throw error;
    },
  );
  return {
    endpoint: `http://127.0.0.1:${front.port}`,
    port: front.port,
    close: async () => {
      await front.close();
      await server.close();
    },
  };
}
