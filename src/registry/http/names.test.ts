import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';
import {
  rawHttpRequest,
  startPortcullisRegistry,
  type RawHttpAnswer,
  type TestPortcullisRegistry,
} from '../../testing/portcullis-registry.js';

// Repository-name tricks against the access checks: a name that climbs out of its project
// (`..`, `%2e%2e`, encoded slashes), changes case, runs too long, or has empty components
// must be refused with 400 NAME_INVALID (spec "Error Codes") on every endpoint, for every
// caller, before anything is read or written, and never reach the project it points at.
// Requests go out with node:http because fetch would resolve "../" before sending.

type Res = RawHttpAnswer;

let registry: TestPortcullisRegistry;
let secretDigest = '';
const SECRET_TAG = 'secret-tag-7f3a';

function raw(method: string, pathAndQuery: string, authorization?: string, body?: Buffer): Promise<Res> {
  return rawHttpRequest(registry.url, {
    method,
    path: pathAndQuery,
    headers: {
      ...(authorization === undefined ? {} : { authorization }),
      ...(body === undefined ? {} : { 'content-type': MediaType.ociManifest }),
    },
    body,
  });
}

function codeOf(res: Res): string | undefined {
  try {
    return (JSON.parse(res.text) as { errors?: { code?: string }[] }).errors?.[0]?.code;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  registry = await startPortcullisRegistry({
    projects: [{ name: 'priv' }, { name: 'vault' }],
    users: { dev: { roles: { priv: 'developer' } } },
  });
  // vault/base holds a tagged image only the system administrator may read.
  const admin = registry.basic('admin');
  const put = async (bytes: Buffer): Promise<string> => {
    const d = digestOf(bytes);
    const res = await raw('POST', `/v2/vault/base/blobs/uploads/?digest=${d}`, admin, bytes);
    expect(res.status).toBe(201);
    return d;
  };
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const layer = randomBytes(128);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: await put(config), size: config.length },
      layers: [{ mediaType: MediaType.ociLayerTar, digest: await put(layer), size: layer.length }],
    }),
  );
  expect((await raw('PUT', `/v2/vault/base/manifests/${SECRET_TAG}`, admin, manifest)).status).toBe(201);
  secretDigest = digestOf(manifest);
});

afterAll(async () => {
  await registry.stop();
});

/** Names that must never be accepted; each pointing, if resolved, at vault/base or priv/app. */
const TRICKS: readonly [string, string][] = [
  ['a .. component', 'priv/../vault/base'],
  ['a leading .. component', '../vault/base'],
  ['%2e%2e', 'priv/%2e%2e/vault/base'],
  ['%2E%2E (upper-case escapes)', 'priv/%2E%2E/vault/base'],
  ['.%2e mixed', 'priv/.%2e/vault/base'],
  ['a . component', 'priv/./app'],
  ['an encoded slash', 'priv%2fapp'],
  ['encoded slashes climbing out', 'priv/app%2f..%2f..%2fvault%2fbase'],
  ['an encoded letter', 'pri%76/app'],
  ['upper case in the project', 'Priv/app'],
  ['upper case in the repository', 'priv/App'],
  ['upper case project of another', 'VAULT/base'],
  ['an over-long name (256 characters)', `priv/${'a'.repeat(251)}`],
  ['an over-long name (1000 characters)', `priv/${'a/'.repeat(497)}a`],
  ['a name past the router parameter limit (3000 characters)', `priv/${'a'.repeat(2995)}`],
  ['an empty component', 'priv//app'],
  ['a leading slash (empty first component)', '/priv/app'],
  ['a trailing slash', 'priv/app/'],
  ['a NUL byte', 'priv/app%00'],
  ['a backslash', 'priv/..%5cvault/base'],
  ['a space', 'priv/a%20pp'],
];

const ENDPOINTS: readonly [string, string, (name: string) => string][] = [
  ['tags list', 'GET', (n) => `/v2/${n}/tags/list`],
  ['manifest GET', 'GET', (n) => `/v2/${n}/manifests/${SECRET_TAG}`],
  ['manifest HEAD', 'HEAD', (n) => `/v2/${n}/manifests/${SECRET_TAG}`],
  ['manifest DELETE', 'DELETE', (n) => `/v2/${n}/manifests/${secretDigest}`],
  ['blob GET', 'GET', (n) => `/v2/${n}/blobs/${secretDigest}`],
  ['blob DELETE', 'DELETE', (n) => `/v2/${n}/blobs/${secretDigest}`],
  ['upload POST', 'POST', (n) => `/v2/${n}/blobs/uploads/`],
  ['referrers', 'GET', (n) => `/v2/${n}/referrers/${secretDigest}`],
];

const CALLERS: readonly [string, () => string | undefined][] = [
  ['the system administrator', () => registry.basic('admin')],
  ['a developer of priv', () => registry.basic('dev')],
  ['an anonymous caller', () => undefined],
];

describe('repository-name tricks', () => {
  for (const [trick, name] of TRICKS) {
    describe(trick, () => {
      for (const [endpoint, method, pathOf] of ENDPOINTS) {
        it(`${endpoint} answers 400 NAME_INVALID to every caller`, async () => {
          for (const [caller, auth] of CALLERS) {
            const res = await raw(method, pathOf(name), auth());
            expect(res.status, `${caller}: ${res.text}`).toBe(400);
            if (method !== 'HEAD') expect(codeOf(res), caller).toBe('NAME_INVALID');
            expect(res.text).not.toContain(SECRET_TAG);
          }
        });
      }
    });
  }

  it('refuses a mount whose source name is a trick, even for the system administrator', async () => {
    for (const [, name] of TRICKS) {
      for (const [caller, auth] of CALLERS) {
        const res = await raw(
          'POST',
          // Encoded whole, so the server decodes the query back to exactly this name.
          `/v2/priv/app/blobs/uploads/?mount=${secretDigest}&from=${encodeURIComponent(name)}`,
          auth(),
        );
        expect(res.status, `${caller}, from=${name}: ${res.text}`).toBe(400);
        expect(codeOf(res)).toBe('NAME_INVALID');
      }
    }
  });

  it('grants nothing on /token for a trick name, so no token can carry it', async () => {
    for (const [, name] of TRICKS) {
      const q = new URLSearchParams({ service: 'portcullis-test', scope: `repository:${name}:pull,push` });
      const res = await raw('GET', `/token?${q.toString()}`, registry.basic('dev'));
      if (res.status === 200) {
        const t = (JSON.parse(res.text) as { token: string }).token;
        const payload = JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
          access?: { actions: string[] }[];
        };
        expect(
          (payload.access ?? []).flatMap((a) => a.actions),
          name,
        ).toEqual([]);
      } else {
        expect(res.status, name).toBe(400);
      }
    }
  });

  it('still serves the real names, so the refusals above are about the names alone', async () => {
    const admin = registry.basic('admin');
    const tags = await raw('GET', '/v2/vault/base/tags/list', admin);
    expect(tags.status).toBe(200);
    expect(tags.text).toContain(SECRET_TAG);
    expect((await raw('GET', `/v2/vault/base/manifests/${SECRET_TAG}`, admin)).status).toBe(200);
    // A developer of priv reaches priv (404: nothing pushed there) but not vault.
    expect((await raw('GET', '/v2/priv/app/tags/list', registry.basic('dev'))).status).toBe(404);
    expect((await raw('GET', '/v2/vault/base/tags/list', registry.basic('dev'))).status).toBe(403);
    // The longest name the grammar allows (255 characters) is a name.
    const longest = `priv/${'a'.repeat(250)}`;
    expect(longest).toHaveLength(255);
    expect((await raw('GET', `/v2/${longest}/tags/list`, registry.basic('dev'))).status).toBe(404);
  });

  it('answers a path that is no endpoint (a trailing slash after tags/list) with UNSUPPORTED, reaching nothing', async () => {
    for (const path of ['/v2/vault/base/tags/list/', '/v2/vault/base/manifests/', '/v2/vault/base/']) {
      const res = await raw('GET', path, registry.basic('admin'));
      expect(res.status, path).toBe(405);
      expect(codeOf(res), path).toBe('UNSUPPORTED');
      expect(res.text).not.toContain(SECRET_TAG);
    }
  });
});
