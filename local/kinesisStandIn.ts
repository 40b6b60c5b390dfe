import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import kinesalite from 'kinesalite';

export interface StandIn {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/**
 * kinesalite on loopback. With a data folder it keeps streams and records in LevelDB across
 * restarts; without one it is in memory (tests). Port 0 picks a free port.
 */
export async function startKinesisStandIn(options: { port: number; dataDir?: string }): Promise<StandIn> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const server = kinesalite({
    path: options.dataDir,
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 1000,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
