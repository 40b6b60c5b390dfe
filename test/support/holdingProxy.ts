// A pass-through HTTP proxy in front of the S3 stand-in that holds one request mid-upload: the
// first request whose method and path match gets its headers and first body chunk forwarded, then
// nothing more, and `held` resolves. A test then kills the client (a compactor mid-write).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HoldingProxy {
  endpoint: string;
  /** Resolves with the held request's path once its upload is under way. */
  held: Promise<string>;
  close(): Promise<void>;
}

export async function startHoldingProxy(
  upstream: string,
  hold: { method: string; path: RegExp },
): Promise<HoldingProxy> {
  const target = new URL(upstream);
  let triggered = false;
  let onHeld: (path: string) => void = () => {};
  const held = new Promise<string>((resolve) => {
    onHeld = resolve;
  });
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const holdThis = !triggered && req.method === hold.method && hold.path.test(decodeURIComponent(url));
    if (holdThis) triggered = true;
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
    if (!holdThis) {
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
