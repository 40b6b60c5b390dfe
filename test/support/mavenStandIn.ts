// A stand-in for Maven Central on loopback (the real one cannot be reached here): any .jar path is
// served as a small fake jar whose content names its path, with a .sha1 beside it, published
// wrong for the paths in `tampered`. `served` keeps each jar served since it was last cleared, so
// a test knows what a tool downloaded.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface MavenStandIn {
  /** The repository's base URL, for MAVEN_REPOSITORY. */
  repository: string;
  served: Map<string, Buffer>;
  tampered: Set<string>;
  close(): Promise<void>;
}

export const sha1 = (content: string | Buffer) => createHash('sha1').update(content).digest('hex');

export async function startMavenStandIn(): Promise<MavenStandIn> {
  const served = new Map<string, Buffer>();
  const tampered = new Set<string>();
  const server = createServer((request, response) => {
    const url = request.url ?? '';
    const jarPath = url.replace(/\.sha1$/, '');
    if (!jarPath.endsWith('.jar')) {
      response.writeHead(404).end();
      return;
    }
    const content = Buffer.from(`fake jar at ${jarPath}`);
    if (url.endsWith('.sha1')) {
      const published = tampered.has(jarPath) ? sha1('something else') : sha1(content);
      response.end(`${published}  ${path.posix.basename(jarPath)}\n`);
    } else {
      served.set(jarPath, content);
      response.end(content);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    repository: `http://127.0.0.1:${(server.address() as AddressInfo).port}/maven2`,
    served,
    tampered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
