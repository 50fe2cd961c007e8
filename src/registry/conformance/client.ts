import { Buffer } from 'node:buffer';
import http from 'node:http';
import https from 'node:https';

// The suite's HTTP client, in the manner of the Go suite's (bloodorangeio/reggie): requests go
// to the target's base URL; a 401 with a Bearer challenge is answered by fetching a token from
// the challenge's realm for the scope it names (with the target's credentials, or none) and
// retrying once; a Basic challenge is answered with the credentials themselves.

/** Username and password (or robot token) of the account the suite runs as. */
export type ConformanceCredentials = { readonly username: string; readonly password: string };

/** One answer, its body read in full. */
export type ConformanceResponse = {
  readonly status: number;
  readonly body: Buffer;
  /** A response header (the first, when repeated), or undefined. */
  header(name: string): string | undefined;
  /** The `Location` header as a path with its query (an absolute URL loses its origin), or `''`. */
  readonly location: string;
  text(): string;
  json(): unknown;
};

/** What a request carries besides method and path. */
export type ConformanceRequest = {
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
};

function relativeLocation(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  const u = new URL(value);
  return `${u.pathname}${u.search}`;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
function parseChallenge(header: string): { scheme: string; params: Map<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params = new Map<string, string>();
  const re = /([a-zA-Z_]+)="([^"]*)"/g;
  for (const m of header.matchAll(re)) params.set(m[1] ?? '', m[2] ?? '');
  return { scheme, params };
}

/** An HTTP client for one registry, with the token flow of Docker's registry auth. */
export class ConformanceClient {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly baseUrl: string,
    private readonly credentials: ConformanceCredentials | undefined,
  ) {}

  private basic(): string | undefined {
    const c = this.credentials;
    return c === undefined
      ? undefined
      : `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  /** Sends a request to `path` (which may carry a query, as upload locations do). */
  async request(method: string, path: string, opts: ConformanceRequest = {}): Promise<ConformanceResponse> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const first = await this.send(method, url, opts, undefined);
    if (first.status !== 401) return first;
    const challenge = first.header('www-authenticate');
    if (challenge === undefined) return first;
    const auth = await this.answer(challenge);
    if (auth === undefined) return first;
    return this.send(method, url, opts, auth);
  }

  private async answer(challenge: string): Promise<string | undefined> {
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === 'basic') return this.basic();
    if (scheme !== 'bearer') return undefined;
    const realm = params.get('realm');
    if (realm === undefined) return undefined;
    const scope = params.get('scope') ?? '';
    const cached = this.tokens.get(scope);
    if (cached !== undefined && params.get('error') === undefined) return `Bearer ${cached}`;
    const tokenUrl = new URL(realm);
    const service = params.get('service');
    if (service !== undefined) tokenUrl.searchParams.set('service', service);
    for (const s of scope.split(' ').filter((x) => x !== '')) tokenUrl.searchParams.append('scope', s);
    const basic = this.basic();
    const res = await fetch(tokenUrl, { headers: basic === undefined ? {} : { authorization: basic } });
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (token === undefined) return undefined;
    this.tokens.set(scope, token);
    return `Bearer ${token}`;
  }

  private send(
    method: string,
    url: URL,
    opts: ConformanceRequest,
    authorization: string | undefined,
  ): Promise<ConformanceResponse> {
    // node:http, not fetch: the Go suite sends a body with a GET (its error-code check), which
    // fetch refuses, and fetch would rewrite paths the checks send as they are.
    const headers: Record<string, string> = { 'user-agent': 'portcullis-conformance', ...opts.headers };
    if (authorization !== undefined) headers.authorization = authorization;
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    if (body !== undefined && headers['content-length'] === undefined)
      headers['content-length'] = String(body.length);
    if (
      body === undefined &&
      ['PUT', 'POST', 'PATCH'].includes(method) &&
      headers['content-length'] === undefined
    )
      headers['content-length'] = '0';
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method, headers, ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const all = Buffer.concat(chunks);
            const header = (name: string): string | undefined => {
              const v = res.headers[name.toLowerCase()];
              return Array.isArray(v) ? v[0] : v;
            };
            resolve({
              status: res.statusCode ?? 0,
              header,
              body: all,
              location: relativeLocation(header('location')),
              text: () => all.toString('utf8'),
              json: () => JSON.parse(all.toString('utf8')) as unknown,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
