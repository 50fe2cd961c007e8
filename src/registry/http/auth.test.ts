import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import {
  MediaType,
  RegistryClient,
  createStaticCredentialStore,
  type ImageManifest,
} from '../../oci/index.js';
import { buildTestImages, layoutDescriptor, pushLayoutTag, runCommand } from '../../testing/oci-images.js';
import { startPortcullisRegistry, type TestPortcullisRegistry } from '../../testing/portcullis-registry.js';
import type { SqliteAuditLog } from '../audit/sqlite.js';
import { addRobot } from '../auth/accounts.js';
import type { SqliteAccountStore } from '../auth/sqlite-store.js';
import { createTokenVerifier, issueToken, type TokenSigner } from '../auth/token.js';
import type { SqliteMetadataStore } from '../metadata/sqlite.js';
import { handleTokenRequest, type RegistryAuthConfig } from './auth.js';
import { createRegistryApp } from './server.js';

// Authentication and authorization on the distribution routes, with real clients: skopeo
// (containers/image: challenge, then the token flow), our RegistryClient, and raw HTTP.

const SERVICE = 'portcullis-test';
/** The test users (the registry helper generates their passwords). */
type User = 'admin' | 'dev' | 'guest' | 'outsider';

let reg: TestPortcullisRegistry;
let work: string;
let metadata: SqliteMetadataStore;
let store: SqliteAccountStore;
let signer: TokenSigner;
let base: string;
let host: string;

const basic = (user: User): string => reg.basic(user);
const token = (user: User | undefined, scope: string): Promise<string> => reg.token(user, scope);
const authFile = (user: User): Promise<string> => reg.authFile(user);

function client(user: User | undefined): RegistryClient {
  return user === undefined
    ? clientAs(undefined)
    : clientAs({ username: user, password: reg.password(user) });
}

function clientAs(login: { username: string; password: string } | undefined): RegistryClient {
  return new RegistryClient({
    retryDelayMs: { base: 10, max: 1000 },
    retries: 0,
    ...(login === undefined
      ? {}
      : { credentials: createStaticCredentialStore(host, { kind: 'basic', ...login }) }),
  });
}

function blob(data: Buffer, mediaType: string) {
  return { mediaType, digest: digestOf(data), size: data.length, bytes: data };
}

/** Pushes a one-layer image with RegistryClient; returns its manifest digest. */
async function pushImage(c: RegistryClient, repository: string, tag: string): Promise<string> {
  const repo = { registry: host, repository };
  const layer = blob(randomBytes(1024), MediaType.ociLayerTar);
  const config = blob(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' })),
    MediaType.ociConfig,
  );
  await c.pushBlob(repo, layer, () => Readable.from([layer.bytes]));
  await c.pushBlob(repo, config, () => config.bytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
  };
  return c.putManifest({ ...repo, tag }, Buffer.from(JSON.stringify(manifest)), MediaType.ociManifest);
}

beforeAll(async () => {
  reg = await startPortcullisRegistry({
    service: SERVICE,
    projects: [{ name: 'team' }, { name: 'secret' }, { name: 'pub', public: true }],
    users: {
      dev: { roles: { team: 'developer' } },
      guest: { roles: { team: 'guest' } },
      outsider: {},
    },
  });
  if (reg.accounts === undefined || reg.signer === undefined)
    throw new Error('the test registry runs with authentication');
  work = reg.workDir;
  metadata = reg.metadata;
  store = reg.accounts;
  signer = reg.signer;
  base = reg.url;
  host = reg.host;
});

afterAll(async () => {
  await reg.stop();
});

describe('challenges and tokens', () => {
  it('answers /v2/ without credentials with 401 and a Bearer challenge naming the token realm', async () => {
    const res = await fetch(`${base}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${base}/token",service="${SERVICE}"`);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('UNAUTHORIZED');
  });

  it('names the scope a request needs in the challenge', async () => {
    const pull = await fetch(`${base}/v2/team/app/tags/list`);
    expect(pull.status).toBe(401);
    expect(pull.headers.get('www-authenticate')).toBe(
      `Bearer realm="${base}/token",service="${SERVICE}",scope="repository:team/app:pull"`,
    );
    const push = await fetch(`${base}/v2/team/app/blobs/uploads/`, { method: 'POST' });
    expect(push.status).toBe(401);
    expect(push.headers.get('www-authenticate')).toContain('scope="repository:team/app:pull,push"');
  });

  it('accepts Basic credentials on /v2 and a token from /token, and refuses a wrong password', async () => {
    expect((await fetch(`${base}/v2/`, { headers: { authorization: basic('dev') } })).status).toBe(200);
    const t = await token('dev', 'repository:team/app:pull');
    expect((await fetch(`${base}/v2/`, { headers: { authorization: `Bearer ${t}` } })).status).toBe(200);

    const wrong = `Basic ${Buffer.from('dev:not-the-password').toString('base64')}`;
    const refused = await fetch(`${base}/token?service=${SERVICE}&scope=repository:team/app:pull`, {
      headers: { authorization: wrong },
    });
    expect(refused.status).toBe(401);
    const text = await refused.text();
    expect(text).not.toContain('not-the-password');
    expect(text).not.toMatch(/"token"/);
    expect((await fetch(`${base}/v2/`, { headers: { authorization: wrong } })).status).toBe(401);
    // A token for another service is refused.
    expect(
      (await fetch(`${base}/token?service=elsewhere`, { headers: { authorization: basic('dev') } })).status,
    ).toBe(400);
  });

  it('refuses a tampered token with invalid_token', async () => {
    const t = await token('dev', 'repository:team/app:pull');
    const res = await fetch(`${base}/v2/team/app/tags/list`, {
      headers: { authorization: `Bearer ${t.slice(0, -4)}AAAA` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('authorization', () => {
  it('lets a guest pull but not push: insufficient_scope with a token, DENIED with Basic', async () => {
    const t = await token('guest', 'repository:team/app:pull,push');
    const pull = await fetch(`${base}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${t}` } });
    expect(pull.status).toBe(404); // allowed; the repository does not exist yet
    const push = await fetch(`${base}/v2/team/app/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t}` },
    });
    expect(push.status).toBe(401);
    expect(push.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(push.headers.get('www-authenticate')).toContain('scope="repository:team/app:pull,push"');

    const basicPush = await fetch(`${base}/v2/team/app/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: basic('guest') },
    });
    expect(basicPush.status).toBe(403);
    expect(((await basicPush.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('DENIED');

    await expect(pushImage(client('guest'), 'team/app', 'v1')).rejects.toThrow();
  });

  it('serves a public project anonymously and keeps private ones closed', async () => {
    const admin = client('admin');
    const dev = client('dev');
    try {
      const pubDigest = await pushImage(admin, 'pub/tool', 'v1');
      await pushImage(dev, 'team/app', 'v1');
      await pushImage(admin, 'secret/vault', 'v1');

      const anon = await fetch(`${base}/v2/pub/tool/manifests/v1`, {
        headers: { accept: MediaType.ociManifest },
      });
      expect(anon.status).toBe(200);
      expect(anon.headers.get('docker-content-digest')).toBe(pubDigest);
      const anonClient = client(undefined);
      try {
        expect(
          (await anonClient.getManifest({ registry: host, repository: 'pub/tool', tag: 'v1' })).digest,
        ).toBe(pubDigest);
        await expect(
          anonClient.getManifest({ registry: host, repository: 'team/app', tag: 'v1' }),
        ).rejects.toThrow();
      } finally {
        anonClient.close();
      }
      expect((await fetch(`${base}/v2/team/app/manifests/v1`)).status).toBe(401);
      // An anonymous token grants nothing on a private project.
      const t = await token(undefined, 'repository:team/app:pull');
      expect(
        (await fetch(`${base}/v2/team/app/manifests/v1`, { headers: { authorization: `Bearer ${t}` } }))
          .status,
      ).toBe(401);
      // Anonymous callers never push, even to a public project.
      expect((await fetch(`${base}/v2/pub/tool/blobs/uploads/`, { method: 'POST' })).status).toBe(401);
      // A user outside the project cannot pull it.
      expect(
        (await fetch(`${base}/v2/secret/vault/tags/list`, { headers: { authorization: basic('dev') } }))
          .status,
      ).toBe(403);
    } finally {
      admin.close();
      dev.close();
    }
  });

  it('filters the catalog to what the caller may pull', async () => {
    const list = async (auth: string | undefined): Promise<string[]> => {
      const res = await fetch(`${base}/v2/_catalog`, {
        headers: auth === undefined ? {} : { authorization: auth },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { repositories: string[] }).repositories;
    };
    const all = await list(basic('admin'));
    expect(all).toEqual(expect.arrayContaining(['pub/tool', 'secret/vault', 'team/app']));
    expect(await list(undefined)).toEqual(all.filter((r) => r.startsWith('pub/')));
    expect(await list(basic('outsider'))).toEqual(all.filter((r) => r.startsWith('pub/')));
    const guestToken = await token('guest', 'registry:catalog:*');
    expect(await list(`Bearer ${guestToken}`)).toEqual(all.filter((r) => /^(pub|team)\//.test(r)));
    // Pagination counts only what the caller sees.
    const paged = await fetch(`${base}/v2/_catalog?n=1`, { headers: { authorization: basic('guest') } });
    expect(((await paged.json()) as { repositories: string[] }).repositories).toEqual(['pub/tool']);
    expect(paged.headers.get('link')).toContain('last=pub%2Ftool');
  });

  it('needs pull on the source of a cross-repository mount', async () => {
    const admin = client('admin');
    try {
      const layer = blob(randomBytes(512), MediaType.ociLayerTar);
      await admin.pushBlob({ registry: host, repository: 'secret/vault' }, layer, () => layer.bytes);
      const url = `${base}/v2/team/app/blobs/uploads/?mount=${layer.digest}&from=secret/vault`;
      const denied = await fetch(url, { method: 'POST', headers: { authorization: basic('dev') } });
      expect(denied.status).toBe(403);
      const t = await token('dev', 'repository:team/app:pull,push');
      const noScope = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${t}` } });
      expect(noScope.status).toBe(401);
      expect(noScope.headers.get('www-authenticate')).toContain('repository:secret/vault:pull');
      const mounted = await fetch(url, { method: 'POST', headers: { authorization: basic('admin') } });
      expect(mounted.status).toBe(201);
    } finally {
      admin.close();
    }
  });
});

describe('robots and token limits', () => {
  it('lets a robot push only where its permission reaches, and refuses an expired robot', async () => {
    const ci = await addRobot(store, {
      name: 'ci',
      project: 'team',
      permissions: [{ project: 'team', repository: 'team/ci/*', actions: ['pull', 'push'] }],
    });
    const robot = clientAs({ username: ci.robot.name, password: ci.token });
    try {
      await pushImage(robot, 'team/ci/app', 'v1');
      await expect(pushImage(robot, 'team/other', 'v1')).rejects.toThrow();
    } finally {
      robot.close();
    }
    const old = await addRobot(store, {
      name: 'old',
      project: 'team',
      permissions: [{ project: 'team', actions: ['pull'] }],
      expiresAt: new Date(Date.now() - 60_000),
    });
    const refused = await fetch(`${base}/token?service=${SERVICE}&scope=repository:team/app:pull`, {
      headers: { authorization: `Basic ${Buffer.from(`${old.robot.name}:${old.token}`).toString('base64')}` },
    });
    expect(refused.status).toBe(401);
  });

  it('refuses expired tokens and tokens used beyond their scope', async () => {
    const expired = await issueToken(signer, {
      subject: 'dev',
      audience: SERVICE,
      access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }],
      ttlSeconds: 60,
      now: Date.now() - 3_600_000,
    });
    const late = await fetch(`${base}/v2/team/app/tags/list`, {
      headers: { authorization: `Bearer ${expired.token}` },
    });
    expect(late.status).toBe(401);
    expect(late.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const t = await token('dev', 'repository:team/app:pull');
    const other = await fetch(`${base}/v2/team/other/tags/list`, {
      headers: { authorization: `Bearer ${t}` },
    });
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    // Asking for more than the role allows is granted only what it allows.
    const escalated = await token('dev', 'repository:secret/vault:pull,push,delete');
    const denied = await fetch(`${base}/v2/secret/vault/tags/list`, {
      headers: { authorization: `Bearer ${escalated}` },
    });
    expect(denied.status).toBe(401);
  });
});

describe('skopeo with credentials', () => {
  it('pushes and pulls with credentials (token flow) and is refused without them', async () => {
    const layout = path.join(work, 'layout');
    await buildTestImages(layout, [{ tag: 'v1', files: { 'etc/hello.txt': 'hello auth\n' } }], work);
    const pushed = await layoutDescriptor(layout, 'v1');
    await expect(pushLayoutTag(layout, 'v1', `${host}/team/skopeo:v1`)).rejects.toThrow(
      /401|unauthorized|authentication/i,
    );
    await pushLayoutTag(layout, 'v1', `${host}/team/skopeo:v1`, { authFile: await authFile('dev') });

    const out = path.join(work, 'pulled');
    const pull = (extra: string[]) =>
      runCommand('skopeo', [
        'copy',
        '-q',
        '--src-tls-verify=false',
        ...extra,
        `docker://${host}/team/skopeo:v1`,
        `oci:${out}:v1`,
      ]);
    await expect(pull([])).rejects.toThrow(/401|unauthorized|authentication|denied/i);
    await pull(['--src-authfile', await authFile('guest')]);
    expect((await layoutDescriptor(out, 'v1')).digest).toBe(pushed.digest);
    // The guest's token does not let it push.
    await expect(
      pushLayoutTag(layout, 'v1', `${host}/team/skopeo:v2`, { authFile: await authFile('guest') }),
    ).rejects.toThrow();
  });
});

describe('POST /token (the OAuth 2 form containerd sends first)', () => {
  let app: FastifyInstance;
  let oauthBase: string;
  let audit: SqliteAuditLog;

  beforeAll(async () => {
    if (reg.audit === undefined) throw new Error('the test registry has an audit log');
    audit = reg.audit;
    const auth: RegistryAuthConfig = {
      store,
      audit,
      service: SERVICE,
      signer,
      verifier: createTokenVerifier({ publicKeys: [signer.publicKey], issuer: SERVICE, audience: SERVICE }),
    };
    app = createRegistryApp({ blobs: reg.blobs, metadata, auth });
    // The distribution routes may register POST /token themselves; the handler is the same.
    if (!app.hasRoute({ method: 'POST', url: '/token' })) {
      app.route({
        method: 'POST',
        url: '/token',
        handler: async (req, reply) => await handleTokenRequest(auth, req, reply),
      });
    }
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    oauthBase = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterAll(async () => {
    await app.close();
  });

  /** A raw HTTP/1.1 exchange: the request exactly as written, the response as received. */
  async function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
    const { port } = new URL(oauthBase);
    const socket = connect(Number(port), '127.0.0.1');
    socket.write(request);
    let text = '';
    for await (const chunk of socket) text += (chunk as Buffer).toString('utf8');
    const [head = '', body = ''] = text.split('\r\n\r\n', 2);
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body };
  }

  const formRequest = (form: string, type = 'application/x-www-form-urlencoded') =>
    `POST /token HTTP/1.1\r\nHost: registry.test\r\nContent-Type: ${type}\r\n` +
    `Content-Length: ${Buffer.byteLength(form)}\r\nUser-Agent: containerd/2.0\r\nConnection: close\r\n\r\n${form}`;

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

  it('answers the password grant with access_token, expires_in, issued_at and the granted scope', async () => {
    const res = await raw(
      formRequest(
        form({
          grant_type: 'password',
          username: 'dev',
          password: reg.password('dev'),
          service: SERVICE,
          client_id: 'containerd-client',
          access_type: 'offline',
          scope: 'repository:team/app:pull,push repository:secret/vault:pull',
        }),
      ),
    );
    expect(res.status).toBe(200);
    expect(res.headers.toLowerCase()).toContain('cache-control: no-store');
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'expires_in',
      'issued_at',
      'scope',
      'token_type',
    ]);
    // No refresh token: offline access adds nothing, clients log in with the password again.
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'repository:team/app:pull,push',
    });
    expect(Date.parse(String(body['issued_at']))).not.toBeNaN();
    const pushWithIt = await fetch(`${oauthBase}/v2/team/app/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(body['access_token'])}` },
    });
    expect(pushWithIt.status).toBe(202);
    // The token grants nothing on a project the caller is not a member of.
    const outside = await fetch(`${oauthBase}/v2/secret/vault/tags/list`, {
      headers: { authorization: `Bearer ${String(body['access_token'])}` },
    });
    expect(outside.status).toBe(401);
    const [issued] = audit.query({ action: 'token', actor: 'dev' });
    expect(issued).toMatchObject({ result: 'success', userAgent: 'containerd/2.0' });
  });

  it('refuses a wrong password with invalid_grant, audited as a failed login like GET /token', async () => {
    const before = audit.query({ action: 'login' }).length;
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const res = await raw(
      formRequest(form({ grant_type: 'password', username: 'guest', password: wrong, service: SERVICE })),
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      error: 'invalid_grant',
      error_description: 'authentication failed',
    });
    expect(res.body).not.toContain(wrong);
    const logins = audit.query({ action: 'login' });
    expect(logins.length).toBe(before + 1);
    expect(logins[0]).toMatchObject({
      actor: 'guest',
      reason: 'wrong-secret',
      result: 'failure',
      status: 401,
    });
    expect(JSON.stringify(logins)).not.toContain(wrong);
  });

  it.each([
    [
      'refresh tokens',
      { grant_type: 'refresh_token', refresh_token: 'abc', service: SERVICE },
      'unsupported_grant_type',
    ],
    ['other grants', { grant_type: 'client_credentials', service: SERVICE }, 'unsupported_grant_type'],
    ['a missing grant_type', { username: 'dev', password: 'x' }, 'invalid_request'],
    ['a password grant without a password', { grant_type: 'password', username: 'dev' }, 'invalid_request'],
    [
      'an unknown access_type',
      { grant_type: 'password', username: 'dev', password: 'x', access_type: 'forever' },
      'invalid_request',
    ],
    [
      'another service',
      { grant_type: 'password', username: 'dev', password: 'x', service: 'elsewhere' },
      'invalid_request',
    ],
    [
      'a malformed scope',
      { grant_type: 'password', username: 'dev', password: 'x', scope: 'repository:team/app:sudo' },
      'invalid_scope',
    ],
  ])('answers %s with 400 %s', async (_what, fields, error) => {
    const res = await raw(formRequest(form(fields)));
    expect(res.status).toBe(400);
    expect((JSON.parse(res.body) as { error: string }).error).toBe(error);
  });

  it('refuses repeated parameters, bodies that are not a form, and forms over the size cap', async () => {
    const repeated = await raw(
      formRequest(`grant_type=password&username=dev&username=admin&password=${reg.password('dev')}`),
    );
    expect(repeated.status).toBe(400);
    expect(JSON.parse(repeated.body)).toMatchObject({ error: 'invalid_request' });

    const json = await raw(
      formRequest(
        JSON.stringify({ grant_type: 'password', username: 'dev', password: reg.password('dev') }),
        'application/json',
      ),
    );
    expect(json.status).toBe(400);
    expect(JSON.parse(json.body)).toMatchObject({ error: 'invalid_request' });

    const huge = await raw(
      formRequest(form({ grant_type: 'password', username: 'dev', password: 'p'.repeat(20_000) })),
    );
    expect(huge.status).toBe(413);
    // Declared small, sent large (chunked): the cap holds while reading.
    const chunk = 'a'.repeat(20_000);
    const chunked = await raw(
      'POST /token HTTP/1.1\r\nHost: registry.test\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    );
    expect(chunked.status).toBe(413);
  });

  it('still answers GET /token on the same path', async () => {
    const res = await fetch(`${oauthBase}/token?service=${SERVICE}&scope=repository:team/app:pull`, {
      headers: { authorization: basic('guest') },
    });
    expect(res.status).toBe(200);
    expect(Object.keys((await res.json()) as object)).toContain('token');
  });
});
