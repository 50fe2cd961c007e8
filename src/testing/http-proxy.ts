import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request that went through the proxy, as the client sent it. */
export type ProxiedRequest = {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
};

export type ForwardOptions = {
  /** Request headers not passed upstream (e.g. `range`, to play a server that ignores it). */
  readonly dropRequestHeaders?: readonly string[];
  /** Send the response headers and this many body bytes, then drop the connection. */
  readonly cutBodyAfter?: number;
  /** Rewrites response headers before they are sent. */
  readonly rewriteHeaders?: (headers: http.OutgoingHttpHeaders) => http.OutgoingHttpHeaders;
  /** Replaces the whole response (status kept): gets the upstream body and headers. */
  readonly rewriteBody?: (
    body: Buffer,
    headers: http.OutgoingHttpHeaders,
  ) => { body: Buffer; headers: http.OutgoingHttpHeaders };
};

/**
 * Decides what happens to each request: call `forward` to pass it to the upstream registry
 * (possibly damaged), or answer through `res` directly. `n` counts requests from 0.
 */
export type ProxyHook = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  forward: (opts?: ForwardOptions) => void,
  n: number,
) => void;

export type TestProxy = {
  /** `127.0.0.1:PORT`: use it as the registry of image references. */
  readonly host: string;
  readonly requests: ProxiedRequest[];
  stop(): Promise<void>;
};

/**
 * A loopback HTTP proxy in front of a real registry, for failures a healthy registry never
 * produces on its own: connections cut mid-body, 503 with Retry-After, ignored Range
 * headers, redirects elsewhere. The Host header is passed through, so the registry's absolute
 * Locations point back at the proxy.
 */
export async function startProxy(upstream: string, hook?: ProxyHook): Promise<TestProxy> {
  const [upHost, upPort] = upstream.split(':');
  const requests: ProxiedRequest[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const forward = (opts: ForwardOptions = {}): void => {
      const headers = { ...req.headers };
      for (const h of opts.dropRequestHeaders ?? []) Reflect.deleteProperty(headers, h.toLowerCase());
      const up = http.request(
        { host: upHost, port: Number(upPort), method: req.method, path: req.url, headers, agent: false },
        (ures) => {
          let outHeaders: http.OutgoingHttpHeaders = { ...ures.headers };
          if (opts.rewriteHeaders) outHeaders = opts.rewriteHeaders(outHeaders);
          const rewriteBody = opts.rewriteBody;
          if (rewriteBody !== undefined) {
            const chunks: Buffer[] = [];
            ures.on('data', (c: Buffer) => chunks.push(c));
            ures.on('end', () => {
              const out = rewriteBody(Buffer.concat(chunks), outHeaders);
              res.writeHead(ures.statusCode ?? 502, {
                ...out.headers,
                'content-length': String(out.body.length),
              });
              res.end(out.body);
            });
            return;
          }
          res.writeHead(ures.statusCode ?? 502, outHeaders);
          const cut = opts.cutBodyAfter;
          if (cut === undefined) {
            ures.pipe(res);
            return;
          }
          let sent = 0;
          ures.on('data', (chunk: Buffer) => {
            if (sent >= cut) return;
            const part = chunk.subarray(0, cut - sent);
            sent += part.length;
            res.write(part);
            if (sent >= cut) {
              ures.destroy();
              // Let the partial body reach the client, then drop the connection mid-body.
              setTimeout(() => res.socket?.destroy(), 20);
            }
          });
          ures.on('end', () => res.end());
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (hook) hook(req, res, forward, n++);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
