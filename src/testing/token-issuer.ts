import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** One request the issuer answered, for tests that check caching and what was asked. */
export type TokenRequestRecord = {
  readonly method: string;
  /** Scopes as requested (`repository:NAME:pull,push`). */
  readonly scopes: readonly string[];
  /** Authenticated user, or undefined for anonymous requests. */
  readonly user: string | undefined;
  readonly grantType: 'basic' | 'refresh_token' | 'anonymous';
  readonly status: number;
};

export type TokenIssuerOptions = {
  /** Directory for the signing key and certificate (the caller removes it). */
  readonly dir: string;
  /** `service` the registry names in its challenge; becomes the `aud` claim. */
  readonly service: string;
  /** `iss` claim; the registry's `auth.token.issuer`. */
  readonly issuer: string;
  /** Username → password accepted with Basic authentication. */
  readonly users: Readonly<Record<string, string>>;
  /** Refresh token → username, accepted with `grant_type=refresh_token` (Docker identity tokens). */
  readonly refreshTokens?: Readonly<Record<string, string>>;
  /** Token lifetime in seconds (`expires_in`). Default 300. */
  readonly ttlSeconds?: number;
  /**
   * Actions granted to `user` (undefined: anonymous) on a repository out of those requested.
   * Default: everything to known users, nothing to anonymous callers.
   */
  readonly grant?: (
    user: string | undefined,
    repository: string,
    requested: readonly string[],
  ) => readonly string[];
};

export type TokenIssuer = {
  /** The realm to configure in the registry: `http://127.0.0.1:PORT/token`. */
  readonly realm: string;
  /** PEM certificate whose key signs the tokens; the registry's `rootcertbundle`. */
  readonly certPath: string;
  readonly service: string;
  readonly issuer: string;
  /** Every request answered so far. */
  readonly requests: TokenRequestRecord[];
  stop(): Promise<void>;
};

type Access = { type: string; name: string; actions: string[] };

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `repository:team/app:pull,push` → its parts; repository names cannot contain `:`, actions can be many. */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter((a) => a !== ''),
  };
}

function readBodyText(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (c: Buffer) => {
      total += c.length;
      if (total > 64 * 1024) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/**
 * A self-signed certificate for `key`, made with the openssl command line (what distribution's
 * `rootcertbundle` trusts for token signatures), as PEM and the file holding it. The key is written to `dir` only for
 * openssl's sake and removed after.
 */
export async function selfSignedCertificate(
  key: KeyObject,
  dir: string,
  commonName: string,
): Promise<{ certPath: string; certPem: string }> {
  const keyPath = path.join(dir, `${commonName}-key.pem`);
  const certPath = path.join(dir, `${commonName}-cert.pem`);
  await writeFile(keyPath, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await execFileP('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    keyPath,
    '-subj',
    `/CN=${commonName}`,
    '-days',
    '1',
    '-out',
    certPath,
  ]);
  await rm(keyPath);
  return { certPath, certPem: await readFile(certPath, 'utf8') };
}

/**
 * A Docker token service (distribution docs/spec/auth/token.md) for tests: checks Basic
 * credentials or refresh tokens, then issues ES256 JWTs whose `x5c` header carries a
 * self-signed certificate made with the openssl command line. The registry trusts that
 * certificate through its `rootcertbundle`. Listens on 127.0.0.1 only.
 */
export async function startTokenIssuer(opts: TokenIssuerOptions): Promise<TokenIssuer> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { certPath, certPem } = await selfSignedCertificate(privateKey, opts.dir, 'portcullis-test-issuer');
  const certDer = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const ttl = opts.ttlSeconds ?? 300;
  const grant =
    opts.grant ??
    ((user: string | undefined, _repo: string, requested: readonly string[]) =>
      user === undefined ? [] : requested);
  const requests: TokenRequestRecord[] = [];

  const issue = (user: string | undefined, scopes: readonly string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const access: Access[] = [];
    for (const s of scopes) {
      const a = parseScope(s);
      if (a?.type !== 'repository') continue;
      const actions = grant(user, a.name, a.actions).filter((x) => a.actions.includes(x));
      if (actions.length > 0) access.push({ ...a, actions: [...actions] });
    }
    const header = { alg: 'ES256', typ: 'JWT', x5c: [certDer] };
    const claims = {
      iss: opts.issuer,
      sub: user ?? '',
      aud: opts.service,
      exp: now + ttl,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${signingInput}.${base64url(signature)}`;
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://issuer');
      const reply = (status: number, body: unknown, record: Omit<TokenRequestRecord, 'status'>): void => {
        requests.push({ ...record, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== '/token') {
        res.writeHead(404).end();
        return;
      }
      if (req.method === 'POST') {
        const form = new URLSearchParams(await readBodyText(req));
        const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
        const refresh = form.get('refresh_token') ?? '';
        const user = form.get('grant_type') === 'refresh_token' ? opts.refreshTokens?.[refresh] : undefined;
        const record = { method: 'POST', scopes, user, grantType: 'refresh_token' as const };
        if (user === undefined) {
          reply(401, { error: 'invalid_grant' }, record);
          return;
        }
        const token = issue(user, scopes);
        reply(
          200,
          {
            access_token: token,
            expires_in: ttl,
            scope: scopes.join(' '),
            issued_at: new Date().toISOString(),
          },
          record,
        );
        return;
      }
      const scopes = url.searchParams
        .getAll('scope')
        .flatMap((s) => s.split(' '))
        .filter((s) => s !== '');
      const auth = req.headers.authorization;
      let user: string | undefined;
      if (auth !== undefined) {
        const m = /^Basic (.+)$/i.exec(auth);
        const decoded = m?.[1] !== undefined ? Buffer.from(m[1], 'base64').toString('utf8') : '';
        const colon = decoded.indexOf(':');
        const name = colon < 0 ? '' : decoded.slice(0, colon);
        const password = colon < 0 ? '' : decoded.slice(colon + 1);
        const expected = opts.users[name];
        if (expected === undefined || !safeEqual(expected, password)) {
          reply(
            401,
            { errors: [{ code: 'UNAUTHORIZED', message: 'authentication failed' }] },
            { method: 'GET', scopes, user: undefined, grantType: 'basic' },
          );
          return;
        }
        user = name;
      }
      const token = issue(user, scopes);
      reply(
        200,
        { token, access_token: token, expires_in: ttl, issued_at: new Date().toISOString() },
        {
          method: 'GET',
          scopes,
          user,
          grantType: user === undefined ? 'anonymous' : 'basic',
        },
      );
    })().catch(() => {
      res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certPath,
    service: opts.service,
    issuer: opts.issuer,
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
