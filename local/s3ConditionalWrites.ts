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
// It also answers ListObjectsV2 itself on top of s3rver's version-1 listing: s3rver makes its V2
// continuation tokens with DES, which Node 24's OpenSSL 3 no longer offers, so every V2 listing with
// more than one page (over 1,000 keys) failed with InternalError (listObjectsV2 below).
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

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => XML_ENTITIES[name] ?? '');
const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => `&${Object.entries(XML_ENTITIES).find(([, v]) => v === ch)?.[0]};`);

/** s3rver's version-1 ListBucketResult as ListObjectsV2 answers it (KeyCount, tokens, StartAfter). */
export function listV1ToV2(
  xml: string,
  request: { token: string | null; startAfter: string | null; encoded: boolean },
): string {
  const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] as string);
  const prefixes = [...xml.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix><\/CommonPrefixes>/g)].map(
    (m) => m[1] as string,
  );
  const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
  const decode = (text: string) =>
    request.encoded ? decodeURIComponent(unescapeXml(text)) : unescapeXml(text);
  const last = [...keys, ...prefixes].map(decode).sort().at(-1);
  const fields = [
    request.token ? `<ContinuationToken>${escapeXml(request.token)}</ContinuationToken>` : '',
    !request.token && request.startAfter ? `<StartAfter>${escapeXml(request.startAfter)}</StartAfter>` : '',
    truncated && last !== undefined
      ? `<NextContinuationToken>${Buffer.from(last, 'utf8').toString('base64url')}</NextContinuationToken>`
      : '',
    `<KeyCount>${keys.length + prefixes.length}</KeyCount>`,
  ].join('');
  return xml
    .replace(/<Marker\/>|<Marker>[^<]*<\/Marker>|<NextMarker>[^<]*<\/NextMarker>/g, '')
    .replace(/<IsTruncated>/, `${fields}<IsTruncated>`);
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

  // ListObjectsV2 as s3rver's version-1 listing (marker = start-after, or the key our token names),
  // its answer rewritten into V2's fields. Sent unsigned (the query changed; s3rver serves anonymous
  // requests). The token is the base64url of the last key or common prefix of the page.
  const listObjectsV2 = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    req.resume();
    const query = url.searchParams;
    const token = query.get('continuation-token');
    const startAfter = token ? Buffer.from(token, 'base64url').toString('utf8') : query.get('start-after');
    const v1 = new URLSearchParams();
    for (const name of ['prefix', 'delimiter', 'max-keys', 'encoding-type']) {
      const value = query.get(name);
      if (value !== null) v1.set(name, value);
    }
    if (startAfter) v1.set('marker', startAfter);
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: options.upstreamPort,
        method: 'GET',
        path: `${url.pathname}?${v1}`,
        headers: { host: req.headers.host ?? '127.0.0.1' },
        agent,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', () => res.destroy());
        answer.on('end', () => {
          let body = Buffer.concat(chunks).toString('utf8');
          if (answer.statusCode === 200)
            body = listV1ToV2(body, { token, startAfter, encoded: v1.has('encoding-type') });
          res.writeHead(answer.statusCode ?? 502, {
            'content-type': 'application/xml',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        });
      },
    );
    upstream.on('error', (error) => badGateway(res, error));
    upstream.end();
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
    if (!object && req.method === 'GET' && url.searchParams.get('list-type') === '2')
      return listObjectsV2(req, res, url);
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
      // s3rver opens the file only once the request reaches its handler, which may be after the
      // client has gone (a compactor killed right after its first bytes): delete once it has had a
      // moment, and again a little later in case its file appeared after the first delete.
      if (conditional && created && !created.answered) {
        for (const wait of [50, 250]) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          await direct(req, 'DELETE', url.pathname).catch(() => {});
        }
      }
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
