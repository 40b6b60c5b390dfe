// The S3 stand-in's own layer over s3rver: S3's conditional write, which s3rver 3.7.1 lacks (its
// PUT ignores If-None-Match; only its GET and HEAD read the header). A small HTTP front on the
// stand-in's port passes every request through to s3rver on a private loopback port, and
//   - answers a PUT carrying `If-None-Match: *` on a key that holds an object with S3's
//     412 PreconditionFailed (and its XML error body), leaving the object as it is;
//   - runs the requests on one object one at a time, so that the existence check and the write
//     are one atomic step, and a read never sees an object half written (s3rver writes the file,
//     then its metadata);
//   - removes what a conditional PUT whose client went away mid-upload left in s3rver (S3 keeps
//     nothing of an unfinished PUT).
// Objects are named by path (path-style requests, which is what our clients send). Only `*` is
// honoured (If-Match and ETag values pass through, ignored as before), on PutObject and CopyObject;
// CompleteMultipartUpload is not made conditional.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConditionalFront {
  port: number;
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'expect', 'proxy-connection', 'upgrade'];

const without = (headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders, names: string[]) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())));

const xmlError = (code: string, message: string, extra: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>stand-in</RequestId></Error>`;

/** The object a request addresses (`/<bucket>/<key>`, as the client encoded it), if any. */
function objectOf(pathname: string): string | undefined {
  return /^\/[^/]+\/./.test(pathname) ? pathname : undefined;
}

/** Runs work one at a time per object id, in arrival order. */
function objectLocks() {
  const tails = new Map<string, Promise<void>>();
  return async (id: string, work: () => Promise<void>): Promise<void> => {
    const previous = tails.get(id) ?? Promise.resolve();
    const mine = previous.then(work).catch(() => {});
    tails.set(id, mine);
    await mine;
    if (tails.get(id) === mine) tails.delete(id);
  };
}

export async function startConditionalFront(options: {
  port: number;
  upstreamPort: number;
}): Promise<ConditionalFront> {
  const agent = new http.Agent({ keepAlive: true });
  const locked = objectLocks();

  const badGateway = (res: http.ServerResponse, error: unknown) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/xml' });
      res.end(xmlError('InternalError', `S3 stand-in: s3rver unreachable: ${String(error)}`, ''));
    } else res.destroy();
  };

  /** Passes the request to s3rver; the flag says whether s3rver has answered it. */
  const forward = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const state = { answered: false };
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: options.upstreamPort,
        method: req.method,
        path: req.url,
        headers: without(req.headers, HOP_BY_HOP),
        agent,
      },
      (answer) => {
        state.answered = true;
        res.writeHead(
          answer.statusCode ?? 502,
          without(answer.headers, [...HOP_BY_HOP, 'transfer-encoding']),
        );
        answer.on('error', () => res.destroy());
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => badGateway(res, error));
    // A client gone before its answer takes its upstream request with it.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
    return state;
  };

  // s3rver serves anonymous requests, so an unsigned request through the same host reads or
  // removes an object for the front.
  const direct = (req: http.IncomingMessage, method: 'HEAD' | 'DELETE', pathname: string) =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port: options.upstreamPort,
          method,
          path: pathname,
          headers: { host: req.headers.host ?? '127.0.0.1' },
          agent,
        },
        (answer) => {
          answer.resume();
          resolve(answer.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end();
    });
  const exists = async (req: http.IncomingMessage, pathname: string) => {
    const status = await direct(req, 'HEAD', pathname);
    if (status !== 200 && status !== 404) throw new Error(`HEAD ${pathname}: ${status}`);
    return status === 200;
  };

  const preconditionFailed = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => {
    req.resume(); // the body is not wanted; read it off so the connection stays usable
    const body = xmlError(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      `<Condition>If-None-Match</Condition><Resource>${pathname}</Resource>`,
    );
    res.writeHead(412, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const object = objectOf(url.pathname);
    // Parts of a multipart upload do not touch the object until the upload completes.
    if (!object || (req.method === 'PUT' && url.searchParams.has('uploadId'))) return forward(req, res);
    // The object stays locked until this response is over (or its client has gone), whether the
    // lock was reached yet or not.
    let over = false;
    const finished = new Promise<void>((resolve) =>
      res.once('close', () => {
        over = true;
        resolve();
      }),
    );
    void locked(object, async () => {
      if (over) return;
      const conditional = req.method === 'PUT' && req.headers['if-none-match'] === '*';
      let created: { answered: boolean } | undefined;
      try {
        if (conditional && (await exists(req, url.pathname))) preconditionFailed(req, res, url.pathname);
        else created = forward(req, res);
      } catch (error) {
        req.resume();
        badGateway(res, error);
      }
      await finished;
      // A writer that died during its upload (a killed processor) leaves s3rver a partial file
      // without metadata where S3 would have nothing; left there it would refuse every later
      // conditional write. Still under the lock, so nobody has seen it.
      if (conditional && created && !created.answered)
        await direct(req, 'DELETE', url.pathname).catch(() => {});
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
