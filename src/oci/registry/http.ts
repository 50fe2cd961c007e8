import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { errorMessage } from '../../core/index.js';
import { OciError } from '../errors.js';

/** A response whose body has not been read yet. */
export type HttpResponse = {
  readonly status: number;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  /** First value of a header, lower-case name. */
  header(name: string): string | undefined;
  /** Every value of a repeated header (several `WWW-Authenticate` lines, for instance). */
  headerAll(name: string): string[];
};

export type HttpRequest = {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | Readable | undefined;
  /** Socket idle time (connect, waiting for headers, between body chunks) before giving up. */
  readonly timeoutMs: number;
};

/** The connection pools a client keeps; TLS verification is a property of the pool. */
export type Agents = { readonly http: http.Agent; readonly https: https.Agent };

export function createAgents(insecureTls: boolean): Agents {
  return {
    http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: !insecureTls }),
  };
}

/**
 * Sends one request and resolves when the response headers arrive. Timeouts surface as OciError
 * TIMEOUT on the request or, later, on the body stream; other failures are Node's own errors,
 * which `classifyNetworkError` sorts.
 */
export function sendRequest(req: HttpRequest, agents: Agents): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const isHttps = req.url.protocol === 'https:';
    const headers: Record<string, string> = { ...req.headers };
    if (Buffer.isBuffer(req.body)) headers['content-length'] = String(req.body.length);
    const options = { method: req.method, headers };
    const r = isHttps
      ? https.request(req.url, { ...options, agent: agents.https })
      : http.request(req.url, { ...options, agent: agents.http });
    let response: IncomingMessage | undefined;
    r.setTimeout(req.timeoutMs, () => {
      const err = new OciError(
        'TIMEOUT',
        `${req.method} ${req.url.host}${req.url.pathname}: no data for ${req.timeoutMs} ms${response ? ' while reading the body' : ''}`,
      );
      response?.destroy(err);
      r.destroy(err);
    });
    r.on('error', reject);
    r.on('response', (res) => {
      response = res;
      resolve(wrapResponse(res, req.url));
    });
    const body = req.body;
    if (body === undefined) {
      r.end();
    } else if (Buffer.isBuffer(body)) {
      r.end(body);
    } else {
      body.on('error', (err) => r.destroy(err));
      // A failed or abandoned request must not leave the source (often an open file) dangling.
      r.on('close', () => {
        if (!body.readableEnded) body.destroy();
      });
      body.pipe(r);
    }
  });
}

function wrapResponse(res: IncomingMessage, url: URL): HttpResponse {
  return {
    status: res.statusCode ?? 0,
    url,
    headers: res.headers,
    body: res,
    header(name) {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    },
    headerAll(name) {
      return res.headersDistinct[name.toLowerCase()] ?? [];
    },
  };
}

/**
 * Reads a body fully, refusing more than `maxBytes` (checked against Content-Length first, then
 * while reading, since the header may lie or be absent).
 * @throws whatever `tooLarge` builds, or the stream's own error.
 */
export async function readBody(
  res: HttpResponse,
  maxBytes: number,
  tooLarge: (size: number | undefined) => Error,
): Promise<Buffer> {
  const declared = res.header('content-length');
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    res.body.destroy();
    throw tooLarge(Number(declared));
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > maxBytes) {
      res.body.destroy();
      throw tooLarge(undefined);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}

/** Discards a body we do not need so that the connection can be reused. */
export function discardBody(res: HttpResponse): void {
  res.body.on('error', () => undefined);
  res.body.resume();
}

/** How a network-level failure should be treated. */
export type NetworkFailure =
  /** The peer did not speak TLS (a plain-HTTP server on the port): a reason to try HTTP. */
  | 'tls-protocol'
  /** TLS worked but the certificate was not trusted. */
  | 'tls-certificate'
  /** Nobody listens, or the name does not resolve: retrying soon will not help. */
  | 'unreachable'
  /** The connection broke (reset, closed early): worth another attempt. */
  | 'reset'
  | 'timeout'
  | 'other';

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

export function classifyNetworkError(err: unknown): NetworkFailure {
  if (err instanceof OciError && err.code === 'TIMEOUT') return 'timeout';
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  if (CERT_CODES.has(code)) return 'tls-certificate';
  if (
    code === 'EPROTO' ||
    code.startsWith('ERR_SSL_') ||
    /wrong version number|packet length too long|unknown protocol/i.test(errorMessage(err))
  ) {
    return 'tls-protocol';
  }
  if (UNREACHABLE_CODES.has(code)) return 'unreachable';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (RESET_CODES.has(code) || /socket hang up|aborted/i.test(errorMessage(err))) return 'reset';
  return 'other';
}

export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}
