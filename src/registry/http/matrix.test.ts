import { randomBytes } from 'node:crypto';
import { exportJWK, SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';
import {
  startPortcullisRegistry,
  type TestPortcullisRegistry,
  type TestUser,
} from '../../testing/portcullis-registry.js';
import type { SqliteAuditLog } from '../audit/index.js';
import {
  addRobot,
  issueToken,
  type ProjectRole,
  type SqliteAccountStore,
  type TokenSigner,
} from '../auth/index.js';

// The access-control matrix of issue 9: every role against every endpoint, in a private and a
// public project, with the expected status class written out as a table. Each cell starts
// from its own fixture (a fresh manifest to delete, a fresh upload session...) made by the
// system administrator, and a denied request is checked to have changed nothing. Every
// repository endpoint is run twice: with Basic credentials (denials are 403, or 401 for the
// anonymous caller) and with a token from /token for the scope it needs (denials are 401
// insufficient_scope). Then the ways around it: scope escalation, expired and tampered tokens,
// robots outside their permission or expired.

const SERVICE = 'portcullis-matrix';

const ROLES = [
  'system admin',
  'project admin',
  'maintainer',
  'developer',
  'guest',
  'non-member',
  'anonymous',
  'robot (pull)',
  'robot (push)',
] as const;
type Role = (typeof ROLES)[number];

const PROJECTS = ['private', 'public'] as const;
type Project = (typeof PROJECTS)[number];
/** Project names on the server: `priv` is private, `pub` public; `vault` is private with no members. */
const PROJECT_NAME: Record<Project, string> = { private: 'priv', public: 'pub' };

type Expect = '2xx' | '401' | '403';
const Y: Expect = '2xx';
/** Authentication required: 401 with a challenge. */
const A: Expect = '401';
/** Authenticated but not allowed: 403 DENIED. */
const N: Expect = '403';

const ENDPOINTS = [
  'ping',
  'catalog',
  'tags list',
  'manifest GET',
  'manifest HEAD',
  'manifest PUT',
  'manifest DELETE',
  'tag DELETE',
  'blob GET',
  'blob HEAD',
  'blob DELETE',
  'upload POST',
  'upload PATCH',
  'upload PUT',
  'upload GET',
  'upload DELETE',
  'mount from a pullable project',
  'mount from a project the caller cannot pull',
  'referrers',
  'audit API',
] as const;
type Endpoint = (typeof ENDPOINTS)[number];

// Columns:       sys proj main dev guest non  anon rpull rpush
const PRIVATE_TABLE: Record<Endpoint, readonly Expect[]> = {
  ping: [Y, Y, Y, Y, Y, Y, A, Y, Y],
  catalog: [Y, Y, Y, Y, Y, Y, Y, Y, Y],
  'tags list': [Y, Y, Y, Y, Y, N, A, Y, Y],
  'manifest GET': [Y, Y, Y, Y, Y, N, A, Y, Y],
  'manifest HEAD': [Y, Y, Y, Y, Y, N, A, Y, Y],
  'manifest PUT': [Y, Y, Y, Y, N, N, A, N, Y],
  'manifest DELETE': [Y, Y, Y, N, N, N, A, N, N],
  'tag DELETE': [Y, Y, Y, N, N, N, A, N, N],
  'blob GET': [Y, Y, Y, Y, Y, N, A, Y, Y],
  'blob HEAD': [Y, Y, Y, Y, Y, N, A, Y, Y],
  'blob DELETE': [Y, Y, Y, N, N, N, A, N, N],
  'upload POST': [Y, Y, Y, Y, N, N, A, N, Y],
  'upload PATCH': [Y, Y, Y, Y, N, N, A, N, Y],
  'upload PUT': [Y, Y, Y, Y, N, N, A, N, Y],
  'upload GET': [Y, Y, Y, Y, N, N, A, N, Y],
  'upload DELETE': [Y, Y, Y, Y, N, N, A, N, Y],
  // A robot never leaves its own project, not even to pull a public one (authorize.ts).
  'mount from a pullable project': [Y, Y, Y, Y, N, N, A, N, N],
  'mount from a project the caller cannot pull': [Y, N, N, N, N, N, A, N, N],
  referrers: [Y, Y, Y, Y, Y, N, A, Y, Y],
  'audit API': [Y, N, N, N, N, N, A, N, N],
};

// A public project differs only in who may read: everyone, the anonymous caller included.
// Columns:       sys proj main dev guest non  anon rpull rpush
const PUBLIC_TABLE: Record<Endpoint, readonly Expect[]> = {
  ping: [Y, Y, Y, Y, Y, Y, A, Y, Y],
  catalog: [Y, Y, Y, Y, Y, Y, Y, Y, Y],
  'tags list': [Y, Y, Y, Y, Y, Y, Y, Y, Y],
  'manifest GET': [Y, Y, Y, Y, Y, Y, Y, Y, Y],
  'manifest HEAD': [Y, Y, Y, Y, Y, Y, Y, Y, Y],
  'manifest PUT': [Y, Y, Y, Y, N, N, A, N, Y],
  'manifest DELETE': [Y, Y, Y, N, N, N, A, N, N],
  'tag DELETE': [Y, Y, Y, N, N, N, A, N, N],
  'blob GET': [Y, Y, Y, Y, Y, Y, Y, Y, Y],
  'blob HEAD': [Y, Y, Y, Y, Y, Y, Y, Y, Y],
  'blob DELETE': [Y, Y, Y, N, N, N, A, N, N],
  'upload POST': [Y, Y, Y, Y, N, N, A, N, Y],
  'upload PATCH': [Y, Y, Y, Y, N, N, A, N, Y],
  'upload PUT': [Y, Y, Y, Y, N, N, A, N, Y],
  'upload GET': [Y, Y, Y, Y, N, N, A, N, Y],
  'upload DELETE': [Y, Y, Y, Y, N, N, A, N, Y],
  'mount from a pullable project': [Y, Y, Y, Y, N, N, A, N, Y],
  'mount from a project the caller cannot pull': [Y, N, N, N, N, N, A, N, N],
  referrers: [Y, Y, Y, Y, Y, Y, Y, Y, Y],
  'audit API': [Y, N, N, N, N, N, A, N, N],
};

const TABLES: Record<Project, Record<Endpoint, readonly Expect[]>> = {
  private: PRIVATE_TABLE,
  public: PUBLIC_TABLE,
};

/** What /token grants each role when asked for `repository:<project>/app:pull,push,delete`. */
const TOKEN_GRANTS: Record<Role, Record<Project, string>> = {
  'system admin': { private: 'pull,push,delete', public: 'pull,push,delete' },
  'project admin': { private: 'pull,push,delete', public: 'pull,push,delete' },
  maintainer: { private: 'pull,push,delete', public: 'pull,push,delete' },
  developer: { private: 'pull,push', public: 'pull,push' },
  guest: { private: 'pull', public: 'pull' },
  'non-member': { private: '', public: 'pull' },
  anonymous: { private: '', public: 'pull' },
  'robot (pull)': { private: 'pull', public: 'pull' },
  'robot (push)': { private: 'pull,push', public: 'pull,push' },
};

const USERS: Partial<Record<Role, { name: string; role?: ProjectRole }>> = {
  'system admin': { name: 'root' },
  'project admin': { name: 'padmin', role: 'admin' },
  maintainer: { name: 'maint', role: 'maintainer' },
  developer: { name: 'dev', role: 'developer' },
  guest: { name: 'guest', role: 'guest' },
  'non-member': { name: 'outsider' },
};

type Res = { status: number; headers: Headers; text: string };

let reg: TestPortcullisRegistry;
let store: SqliteAccountStore;
let signer: TokenSigner;
let audit: SqliteAuditLog;
let base: string;
/** Robot logins by role and project. */
const robots = new Map<string, { name: string; token: string }>();

function basicOf(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

const ADMIN = (): string => reg.basic('root');

/** The Basic credentials of a role in a project; undefined for the anonymous caller. */
function credentialsOf(role: Role, project: Project): { user: string; password: string } | undefined {
  const user = USERS[role];
  if (user !== undefined) return { user: user.name, password: reg.password(user.name) };
  if (role === 'anonymous') return undefined;
  const robot = robots.get(`${role}/${project}`);
  if (robot === undefined) throw new Error(`no robot for ${role} in ${project}`);
  return { user: robot.name, password: robot.token };
}

async function send(
  method: string,
  url: string,
  authorization: string | undefined,
  init: { headers?: Record<string, string>; body?: Buffer } = {},
): Promise<Res> {
  const res = await fetch(new URL(url, base), {
    method,
    headers: { ...init.headers, ...(authorization === undefined ? {} : { authorization }) },
    redirect: 'manual',
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function tokenFor(
  credentials: { user: string; password: string } | undefined,
  scopes: readonly string[],
): Promise<string> {
  const q = new URLSearchParams({ service: SERVICE });
  for (const s of scopes) q.append('scope', s);
  const res = await send(
    'GET',
    `/token?${q.toString()}`,
    credentials === undefined ? undefined : basicOf(credentials.user, credentials.password),
  );
  expect(res.status).toBe(200);
  return (JSON.parse(res.text) as { token: string }).token;
}

/** The `access` claim of a token, read without verifying (the server verifies). */
function accessOf(token: string): { type: string; name: string; actions: string[] }[] {
  const payload = token.split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { access?: [] }).access ?? [];
}

/** The id of the newest audit record, to find what a request added. */
function lastAuditId(): number {
  return audit.query({ limit: 1 })[0]?.id ?? 0;
}

/**
 * Checks that a denied request left one audit record of the denial: who (as the role's
 * credentials name it), the failure and the status answered.
 */
function expectDenialAudited(since: number, role: Role, project: Project, status: number): void {
  const added = audit.query({ limit: 50 }).filter((e) => e.id > since && e.result === 'failure');
  expect(added.map((e) => `${e.action} ${String(e.status)}`)).toContain(`denied ${String(status)}`);
  const record = added.find((e) => e.action === 'denied');
  const creds = credentialsOf(role, project);
  expect(record?.actorKind).toBe(
    creds === undefined ? 'anonymous' : role.startsWith('robot') ? 'robot' : 'user',
  );
  if (creds !== undefined) expect(record?.actor).toBe(creds.user);
}

// Fixtures, made as the system administrator.

async function putBlob(repo: string, bytes: Buffer): Promise<string> {
  const digest = digestOf(bytes);
  const res = await send('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, ADMIN(), {
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  expect(res.status).toBe(201);
  return digest;
}

async function startUpload(repo: string): Promise<string> {
  const res = await send('POST', `/v2/${repo}/blobs/uploads/`, ADMIN());
  expect(res.status).toBe(202);
  const location = res.headers.get('location') ?? '';
  expect(location).not.toBe('');
  return location;
}

/** A manifest referring to the config and layer already in `repo`, made unique by an annotation. */
function manifestBytes(config: string, layer: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: config, size: CONFIG.length },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: layer, size: LAYER.length }],
      annotations: { 'org.example.nonce': randomBytes(8).toString('hex') },
    }),
  );
}

async function putManifest(repo: string, reference: string, bytes: Buffer): Promise<string> {
  const res = await send('PUT', `/v2/${repo}/manifests/${reference}`, ADMIN(), {
    headers: { 'content-type': MediaType.ociManifest },
    body: bytes,
  });
  expect(res.status).toBe(201);
  return digestOf(bytes);
}

async function adminStatus(method: string, url: string): Promise<number> {
  return (await send(method, url, ADMIN(), { headers: { accept: MediaType.ociManifest } })).status;
}

const CONFIG = Buffer.from(
  JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }),
);
const LAYER = randomBytes(256);
const fixture = { config: '', layer: '', manifest: new Map<string, string>() };

/** One request of a cell: what to send, the scopes a token for it needs, and what to check after. */
type Case = {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  readonly scopes: readonly string[];
  /** Checks the effect (or its absence) once answered. */
  readonly after?: (allowed: boolean) => Promise<void>;
};

/** Builds the request of an endpoint in a project, with the fixture it needs. */
async function prepare(endpoint: Endpoint, projectName: string): Promise<Case> {
  const repo = `${projectName}/app`;
  const pull = [`repository:${repo}:pull`];
  const push = [`repository:${repo}:pull,push`];
  const del = [`repository:${repo}:delete`];
  const manifest = fixture.manifest.get(projectName) ?? '';
  const octet = { 'content-type': 'application/octet-stream' };
  switch (endpoint) {
    case 'ping':
      return { method: 'GET', url: '/v2/', scopes: [] };
    case 'catalog':
      return { method: 'GET', url: '/v2/_catalog?n=1000', scopes: ['registry:catalog:*'] };
    case 'tags list':
      return { method: 'GET', url: `/v2/${repo}/tags/list`, scopes: pull };
    case 'manifest GET':
    case 'manifest HEAD':
      return {
        method: endpoint === 'manifest GET' ? 'GET' : 'HEAD',
        url: `/v2/${repo}/manifests/v1`,
        headers: { accept: MediaType.ociManifest },
        scopes: pull,
      };
    case 'manifest PUT': {
      const tag = `t-${randomBytes(6).toString('hex')}`;
      return {
        method: 'PUT',
        url: `/v2/${repo}/manifests/${tag}`,
        headers: { 'content-type': MediaType.ociManifest },
        body: manifestBytes(fixture.config, fixture.layer),
        scopes: push,
        after: async (allowed) => {
          expect(await adminStatus('HEAD', `/v2/${repo}/manifests/${tag}`)).toBe(allowed ? 200 : 404);
        },
      };
    }
    case 'manifest DELETE': {
      const bytes = manifestBytes(fixture.config, fixture.layer);
      const target = await putManifest(repo, digestOf(bytes), bytes);
      return {
        method: 'DELETE',
        url: `/v2/${repo}/manifests/${target}`,
        scopes: del,
        after: async (allowed) => {
          expect(await adminStatus('HEAD', `/v2/${repo}/manifests/${target}`)).toBe(allowed ? 404 : 200);
        },
      };
    }
    case 'tag DELETE': {
      const tag = `d-${randomBytes(6).toString('hex')}`;
      await putManifest(repo, tag, manifestBytes(fixture.config, fixture.layer));
      return {
        method: 'DELETE',
        url: `/v2/${repo}/manifests/${tag}`,
        scopes: del,
        after: async (allowed) => {
          expect(await adminStatus('HEAD', `/v2/${repo}/manifests/${tag}`)).toBe(allowed ? 404 : 200);
        },
      };
    }
    case 'blob GET':
    case 'blob HEAD':
      return {
        method: endpoint === 'blob GET' ? 'GET' : 'HEAD',
        url: `/v2/${repo}/blobs/${fixture.layer}`,
        scopes: pull,
      };
    case 'blob DELETE': {
      const digest = await putBlob(repo, randomBytes(64));
      return {
        method: 'DELETE',
        url: `/v2/${repo}/blobs/${digest}`,
        scopes: del,
        after: async (allowed) => {
          expect(await adminStatus('HEAD', `/v2/${repo}/blobs/${digest}`)).toBe(allowed ? 404 : 200);
        },
      };
    }
    case 'upload POST':
      return { method: 'POST', url: `/v2/${repo}/blobs/uploads/`, scopes: push };
    case 'upload PATCH':
      return {
        method: 'PATCH',
        url: await startUpload(repo),
        headers: octet,
        body: randomBytes(32),
        scopes: push,
      };
    case 'upload PUT': {
      const bytes = randomBytes(48);
      const digest = digestOf(bytes);
      const location = await startUpload(repo);
      const sep = location.includes('?') ? '&' : '?';
      return {
        method: 'PUT',
        url: `${location}${sep}digest=${digest}`,
        headers: octet,
        body: bytes,
        scopes: push,
        after: async (allowed) => {
          expect(await adminStatus('HEAD', `/v2/${repo}/blobs/${digest}`)).toBe(allowed ? 200 : 404);
        },
      };
    }
    case 'upload GET':
      return { method: 'GET', url: await startUpload(repo), scopes: push };
    case 'upload DELETE': {
      const location = await startUpload(repo);
      return {
        method: 'DELETE',
        url: location,
        scopes: push,
        after: async (allowed) => {
          expect(await adminStatus('GET', location)).toBe(allowed ? 404 : 204);
        },
      };
    }
    case 'mount from a pullable project':
    case 'mount from a project the caller cannot pull': {
      const from = endpoint === 'mount from a pullable project' ? 'pub/base' : 'vault/base';
      const digest = await putBlob(from, randomBytes(40));
      return {
        method: 'POST',
        url: `/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`,
        scopes: [...push, `repository:${from}:pull`],
        after: async (allowed) => {
          expect(await adminStatus('HEAD', `/v2/${repo}/blobs/${digest}`)).toBe(allowed ? 200 : 404);
        },
      };
    }
    case 'referrers':
      return { method: 'GET', url: `/v2/${repo}/referrers/${manifest}`, scopes: pull };
    case 'audit API':
      return { method: 'GET', url: '/api/v1/audit?limit=1', scopes: [] };
  }
}

/** Endpoints whose access is not a repository scope: Bearer mode skips them. */
const NOT_SCOPED = new Set<Endpoint>(['ping', 'catalog', 'audit API']);

beforeAll(async () => {
  // Every user holds its role (if any) in both the private and the public project.
  const users: Record<string, TestUser> = {};
  for (const [role, u] of Object.entries(USERS)) {
    const roles: Record<string, ProjectRole> = {};
    if (u.role !== undefined) for (const p of PROJECTS) roles[PROJECT_NAME[p]] = u.role;
    users[u.name] = { systemAdmin: role === 'system admin', roles };
  }
  reg = await startPortcullisRegistry({
    service: SERVICE,
    projects: [{ name: 'priv' }, { name: 'pub', public: true }, { name: 'vault' }],
    users,
  });
  if (reg.accounts === undefined || reg.signer === undefined || reg.audit === undefined)
    throw new Error('the test registry runs with authentication');
  store = reg.accounts;
  signer = reg.signer;
  audit = reg.audit;
  for (const project of PROJECTS) {
    const name = PROJECT_NAME[project];
    const pullBot = await addRobot(store, {
      name: 'puller',
      project: name,
      permissions: [{ project: name, actions: ['pull'] }],
    });
    robots.set(`robot (pull)/${project}`, { name: pullBot.robot.name, token: pullBot.token });
    const pushBot = await addRobot(store, {
      name: 'pusher',
      project: name,
      permissions: [{ project: name, actions: ['pull', 'push'] }],
    });
    robots.set(`robot (push)/${project}`, { name: pushBot.robot.name, token: pushBot.token });
  }
  base = reg.url;
  for (const project of ['priv', 'pub', 'vault']) {
    const repo = `${project}/${project === 'priv' || project === 'pub' ? 'app' : 'base'}`;
    fixture.config = await putBlob(repo, CONFIG);
    fixture.layer = await putBlob(repo, LAYER);
    fixture.manifest.set(
      project,
      await putManifest(repo, 'v1', manifestBytes(fixture.config, fixture.layer)),
    );
  }
  // pub/base: the source of the pullable mount.
  await putBlob('pub/base', LAYER);
});

afterAll(async () => {
  await reg.stop();
});

describe('the tables', () => {
  it('give one expectation per role for every endpoint', () => {
    for (const table of Object.values(TABLES)) {
      expect(Object.keys(table).sort()).toEqual([...ENDPOINTS].sort());
      for (const row of Object.values(table)) expect(row).toHaveLength(ROLES.length);
    }
    expect(Object.keys(TOKEN_GRANTS).sort()).toEqual([...ROLES].sort());
  });
});

for (const project of PROJECTS) {
  const projectName = PROJECT_NAME[project];
  describe(`${project} project, Basic credentials`, () => {
    for (const endpoint of ENDPOINTS) {
      describe(endpoint, () => {
        ROLES.forEach((role, i) => {
          const want = TABLES[project][endpoint][i] ?? Y;
          it(`${role} → ${want}`, async () => {
            const c = await prepare(endpoint, projectName);
            const creds = credentialsOf(role, project);
            const since = lastAuditId();
            const res = await send(
              c.method,
              c.url,
              creds === undefined ? undefined : basicOf(creds.user, creds.password),
              {
                ...(c.headers === undefined ? {} : { headers: c.headers }),
                ...(c.body === undefined ? {} : { body: c.body }),
              },
            );
            if (want === Y) expect(res.status, res.text).toBeGreaterThanOrEqual(200);
            if (want === Y) expect(res.status, res.text).toBeLessThan(300);
            else expect(res.status, res.text).toBe(Number(want));
            // The distribution API challenges for a token; the management API for Basic credentials.
            if (want === A)
              expect(res.headers.get('www-authenticate')).toMatch(
                endpoint === 'audit API' ? /^Basic realm=/ : /^Bearer realm=/,
              );
            if (want === N && c.method !== 'HEAD') expect(res.text).toContain('"DENIED"');
            // Every denial is audited; the ping's bare challenge to an anonymous caller is no denial.
            if (want !== Y && endpoint !== 'ping') expectDenialAudited(since, role, project, Number(want));
            await c.after?.(want === Y);
            if (endpoint === 'catalog') {
              // The catalog answers everyone, listing only what the caller may pull.
              const canPull = TABLES[project]['tags list'][i] === Y;
              const repos = (JSON.parse(res.text) as { repositories: string[] }).repositories;
              expect(repos.includes(`${projectName}/app`)).toBe(canPull);
              expect(repos.includes('vault/base')).toBe(role === 'system admin');
            }
          });
        });
      });
    }
    describe('/token scopes', () => {
      ROLES.forEach((role) => {
        const want = TOKEN_GRANTS[role][project];
        it(`${role} is granted "${want}" of pull,push,delete`, async () => {
          const t = await tokenFor(credentialsOf(role, project), [
            `repository:${projectName}/app:pull,push,delete`,
          ]);
          const granted = accessOf(t).find((a) => a.name === `${projectName}/app`)?.actions ?? [];
          expect([...granted].sort().join(',')).toBe(
            want
              .split(',')
              .filter((x) => x !== '')
              .sort()
              .join(','),
          );
        });
      });
    });
  });

  describe(`${project} project, bearer tokens from /token`, () => {
    for (const endpoint of ENDPOINTS.filter((e) => !NOT_SCOPED.has(e))) {
      describe(endpoint, () => {
        ROLES.forEach((role, i) => {
          const table = TABLES[project][endpoint][i] ?? Y;
          const want: Expect = table === Y ? Y : A;
          it(`${role} → ${want}`, async () => {
            const c = await prepare(endpoint, projectName);
            const token = await tokenFor(credentialsOf(role, project), c.scopes);
            const since = lastAuditId();
            const res = await send(c.method, c.url, `Bearer ${token}`, {
              ...(c.headers === undefined ? {} : { headers: c.headers }),
              ...(c.body === undefined ? {} : { body: c.body }),
            });
            if (want === Y) {
              expect(res.status, res.text).toBeGreaterThanOrEqual(200);
              expect(res.status, res.text).toBeLessThan(300);
            } else {
              expect(res.status, res.text).toBe(401);
              expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
              expectDenialAudited(since, role, project, 401);
            }
            await c.after?.(want === Y);
          });
        });
      });
    }
  });
}

describe('ways around the matrix', () => {
  const dev = () => credentialsOf('developer', 'private');
  const bearer = (t: string) => `Bearer ${t}`;

  it('refuses a pull token used to push', async () => {
    const t = await tokenFor(dev(), ['repository:priv/app:pull']);
    expect((await send('GET', '/v2/priv/app/tags/list', bearer(t))).status).toBe(200);
    const res = await send('POST', '/v2/priv/app/blobs/uploads/', bearer(t));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(res.headers.get('www-authenticate')).toContain('scope="repository:priv/app:pull,push"');
  });

  it('refuses a token for repository a used on repository b, in the same project or another', async () => {
    const t = await tokenFor(dev(), ['repository:priv/app:pull,push']);
    for (const [method, url] of [
      ['GET', '/v2/priv/other/tags/list'],
      ['POST', '/v2/priv/other/blobs/uploads/'],
      ['POST', '/v2/pub/app/blobs/uploads/'],
      ['GET', '/v2/vault/base/tags/list'],
      ['POST', `/v2/priv/app/blobs/uploads/?mount=${fixture.layer}&from=vault/base`],
    ] as const) {
      const res = await send(method, url, bearer(t));
      expect(res.status, `${method} ${url}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    }
  });

  it('grants no more than the role allows, whatever the scope asks', async () => {
    const t = await tokenFor(dev(), [
      'repository:priv/app:pull,push,delete,*',
      'repository:vault/base:pull',
      'registry:catalog:*',
    ]);
    const access = accessOf(t);
    expect(access.find((a) => a.name === 'priv/app')?.actions.sort()).toEqual(['pull', 'push']);
    expect(access.find((a) => a.name === 'vault/base')?.actions ?? []).toEqual([]);
    const res = await send(
      'DELETE',
      `/v2/priv/app/manifests/${fixture.manifest.get('priv') ?? ''}`,
      bearer(t),
    );
    expect(res.status).toBe(401);
    expect(await adminStatus('HEAD', `/v2/priv/app/manifests/v1`)).toBe(200);
  });

  it('refuses an expired token, and one issued for another service', async () => {
    const expired = await issueToken(signer, {
      subject: 'dev',
      audience: SERVICE,
      access: [{ type: 'repository', name: 'priv/app', actions: ['pull'] }],
      ttlSeconds: 60,
      now: Date.now() - 3_600_000,
    });
    const late = await send('GET', '/v2/priv/app/tags/list', bearer(expired.token));
    expect(late.status).toBe(401);
    expect(late.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const elsewhere = await issueToken(signer, {
      subject: 'dev',
      audience: 'another-service',
      access: [{ type: 'repository', name: 'priv/app', actions: ['pull'] }],
      ttlSeconds: 60,
    });
    expect((await send('GET', '/v2/priv/app/tags/list', bearer(elsewhere.token))).status).toBe(401);
  });

  it('refuses tampered tokens: a widened access claim, a foreign key, no signature', async () => {
    const t = await tokenFor(dev(), ['repository:priv/app:pull']);
    const [header = '', payload = '', signature = ''] = t.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const widened = Buffer.from(
      JSON.stringify({
        ...claims,
        access: [{ type: 'repository', name: 'vault/base', actions: ['pull', 'push'] }],
      }),
    ).toString('base64url');
    const foreignKeys = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', jwk: await exportJWK(foreignKeys.publicKey) })
      .sign(foreignKeys.privateKey);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    for (const [what, token] of [
      ['widened claim', `${header}.${widened}.${signature}`],
      ['foreign key', foreign],
      ['alg none', none],
      ['truncated signature', `${header}.${payload}.${signature.slice(0, -6)}`],
    ] as const) {
      const res = await send('GET', '/v2/priv/app/tags/list', bearer(token));
      expect(res.status, what).toBe(401);
      expect(res.headers.get('www-authenticate'), what).toContain('error="invalid_token"');
      expect((await send('GET', '/v2/vault/base/tags/list', bearer(token))).status, what).toBe(401);
    }
  });

  it('keeps a robot inside its permission: another repository, another project, another action', async () => {
    const ci = await addRobot(store, {
      name: 'ci',
      project: 'priv',
      permissions: [{ project: 'priv', repository: 'priv/ci/*', actions: ['pull', 'push'] }],
    });
    const auth = basicOf(ci.robot.name, ci.token);
    expect((await send('POST', '/v2/priv/ci/app/blobs/uploads/', auth)).status).toBe(202);
    expect((await send('POST', '/v2/priv/app/blobs/uploads/', auth)).status).toBe(403);
    expect((await send('GET', '/v2/priv/app/tags/list', auth)).status).toBe(403);
    expect((await send('GET', '/v2/vault/base/tags/list', auth)).status).toBe(403);
    expect((await send('POST', '/v2/pub/app/blobs/uploads/', auth)).status).toBe(403);
    expect((await send('DELETE', `/v2/priv/ci/app/blobs/${fixture.layer}`, auth)).status).toBe(403);
    const t = await tokenFor({ user: ci.robot.name, password: ci.token }, ['repository:priv/app:pull,push']);
    expect(accessOf(t).find((a) => a.name === 'priv/app')?.actions ?? []).toEqual([]);
  });

  it('refuses an expired robot on /token and on /v2, and a robot with a wrong token', async () => {
    const old = await addRobot(store, {
      name: 'old',
      project: 'priv',
      permissions: [{ project: 'priv', actions: ['pull', 'push'] }],
      expiresAt: new Date(Date.now() - 60_000),
    });
    const auth = basicOf(old.robot.name, old.token);
    const q = `service=${SERVICE}&scope=repository:priv/app:pull`;
    expect((await send('GET', `/token?${q}`, auth)).status).toBe(401);
    expect((await send('GET', '/v2/priv/app/tags/list', auth)).status).toBe(401);
    expect((await send('GET', '/v2/', auth)).status).toBe(401);
    const pusher = credentialsOf('robot (push)', 'private');
    const wrong = basicOf(pusher?.user ?? '', `${pusher?.password ?? ''}x`);
    expect((await send('GET', '/v2/priv/app/tags/list', wrong)).status).toBe(401);
  });
});
