// A pass-through HTTP proxy in front of the S3 stand-in, for the failures S3 itself cannot be made
// to show on cue. Each request is asked of `intercept` (it may await: a test can change the bucket
// before the request reaches it), which answers:
// - 'pass': forwarded as it is;
// - 'hold': its headers and first body chunk are forwarded, then nothing more (a client killed
//   mid-upload, once the test sees `held`);
// - { status, code }: answered by the proxy with S3's error document, never forwarded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';

export type Interception = 'pass' | 'hold' | { status: number; code: string };

export interface S3Proxy {
  endpoint: string;
  /** Resolves with the path of the first request held. */
  held: Promise<string>;
  close(): Promise<void>;
}

const errorDocument = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code} (from the test proxy)</Message><RequestId>0</RequestId></Error>`;

export async function startS3Proxy(
  upstream: string,
  intercept: (method: string, path: string) => Interception | Promise<Interception>,
): Promise<S3Proxy> {
  const target = new URL(upstream);
  let onHeld: (path: string) => void = () => {};
  const held = new Promise<string>((resolve) => {
    onHeld = resolve;
  });
  const server = http.createServer(async (req, res) => {
    const url = req.url ?? '/';
    const what = await intercept(req.method ?? 'GET', decodeURIComponent(url));
    if (typeof what === 'object') {
      req.resume();
      res.writeHead(what.status, { 'content-type': 'application/xml' });
      res.end(errorDocument(what.code));
      return;
    }
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.once('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    if (what === 'pass') {
      req.pipe(out);
      return;
    }
    req.once('data', (chunk: Buffer) => {
      req.pause();
      out.write(chunk.subarray(0, Math.max(1, Math.floor(chunk.length / 2))));
      onHeld(url);
    });
    req.once('close', () => out.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Holds the first request whose method and path match (see 'hold' above); passes the rest. */
export function startHoldingProxy(
  upstream: string,
  hold: { method: string; path: RegExp },
): Promise<S3Proxy> {
  let triggered = false;
  return startS3Proxy(upstream, (method, path) => {
    if (triggered || method !== hold.method || !hold.path.test(path)) return 'pass';
    triggered = true;
    return 'hold';
  });
}

/** An S3 client that reaches the stand-in through the proxy (credentials from the environment). */
export function clientThrough(proxy: S3Proxy, options: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    region: process.env.AWS_REGION ?? 'us-east-1',
    endpoint: proxy.endpoint,
    forcePathStyle: true,
    maxAttempts: options.maxAttempts,
  });
}
