import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';
import { startPortcullisRegistry, type TestPortcullisRegistry } from '../../testing/portcullis-registry.js';
import type { GateRefusal, HookActor, PushedManifest, RegistryHooks } from './hooks.js';

// RegistryHooks through the real server with authentication: checkPull before a manifest is
// served (GET and HEAD), checkTagChange before a tag moves or goes (by tag, or with the manifest
// it points at), onManifestPushed after a push; refusals are DENIED (403) with the gate's
// message in the spec's error body and in the audit record.

const REPO = 'team/app';
/** Digests the pull gate refuses. */
const refusedPulls = new Set<string>();
/** Tags the tag gate protects. */
const frozenTags = new Set<string>();
const pullAsks: {
  method: 'GET' | 'HEAD';
  repository: string;
  digest: Digest;
  actor: HookActor | undefined;
}[] = [];
const tagAsks: { tag: string; current: Digest; next: Digest | undefined; actor: HookActor | undefined }[] =
  [];
const pushed: PushedManifest[] = [];
let pushHookThrows = false;

const hooks: RegistryHooks = {
  checkPull: ({ method, repository, record, actor }): Promise<GateRefusal | undefined> => {
    pullAsks.push({ method, repository, digest: record.digest, actor });
    return Promise.resolve(
      refusedPulls.has(record.digest)
        ? { code: 'DENIED', message: `pull refused by rule no-critical: CVE-0000-0001 in ${record.digest}` }
        : undefined,
    );
  },
  checkTagChange: ({ tag, current, next, actor }) => {
    tagAsks.push({ tag, current, next, actor });
    return Promise.resolve(
      frozenTags.has(tag) ? { code: 'DENIED', message: `tag ${tag} is immutable (pattern v*)` } : undefined,
    );
  },
  onManifestPushed: (event) => {
    pushed.push(event);
    if (pushHookThrows) throw new Error('the scan queue is full');
  },
};

let reg: TestPortcullisRegistry;

beforeAll(async () => {
  reg = await startPortcullisRegistry({
    projects: [{ name: 'team' }],
    users: { dev: { roles: { team: 'maintainer' } } },
    server: { hooks },
  });
});

afterAll(async () => {
  await reg.stop();
});

function auth(): Record<string, string> {
  return { authorization: reg.basic('dev') };
}

async function pushImage(tag: string): Promise<Digest> {
  const layer = randomBytes(64);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', n: randomBytes(4).toString('hex') }),
  );
  for (const b of [layer, config]) {
    const res = await fetch(`${reg.url}/v2/${REPO}/blobs/uploads/?digest=${digestOf(b)}`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/octet-stream' },
      body: b,
    });
    expect(res.status).toBe(201);
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: digestOf(layer), size: layer.length }],
    }),
  );
  const res = await putManifest(tag, manifest);
  expect(res.status).toBe(201);
  return digestOf(manifest);
}

async function putManifest(tag: string, manifest: Buffer): Promise<Response> {
  return fetch(`${reg.url}/v2/${REPO}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth(), 'content-type': MediaType.ociManifest },
    body: manifest,
  });
}

async function manifestBytes(digest: Digest): Promise<Buffer> {
  const res = await fetch(`${reg.url}/v2/${REPO}/manifests/${digest}`, {
    headers: { ...auth(), accept: MediaType.ociManifest },
  });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

async function errorOf(res: Response): Promise<{ code: string; message: string } | undefined> {
  const body = (await res.json()) as { errors?: { code: string; message: string }[] };
  return body.errors?.[0];
}

describe('checkPull', () => {
  it('refuses GET and HEAD of a gated manifest with DENIED and the gate message, by tag and by digest', async () => {
    const bad = await pushImage('bad');
    const good = await pushImage('good');
    refusedPulls.add(bad);
    for (const ref of ['bad', bad]) {
      const get = await fetch(`${reg.url}/v2/${REPO}/manifests/${ref}`, { headers: auth() });
      expect(get.status).toBe(403);
      expect(get.headers.get('docker-content-digest')).toBeNull();
      expect(await errorOf(get)).toEqual({
        code: 'DENIED',
        message: `pull refused by rule no-critical: CVE-0000-0001 in ${bad}`,
      });
      const head = await fetch(`${reg.url}/v2/${REPO}/manifests/${ref}`, { method: 'HEAD', headers: auth() });
      expect(head.status).toBe(403);
    }
    const ok = await fetch(`${reg.url}/v2/${REPO}/manifests/good`, { headers: auth() });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('docker-content-digest')).toBe(good);
    for (const method of ['GET', 'HEAD'])
      expect(pullAsks.some((a) => a.method === method && a.digest === bad && a.repository === REPO)).toBe(
        true,
      );
    expect(pullAsks.every((a) => a.actor?.kind === 'user' && a.actor.name === 'dev')).toBe(true);
    const events = reg.audit?.query({ repository: REPO, action: 'pull' }) ?? [];
    const refused = events.find((e) => e.reference === 'bad');
    expect(refused).toMatchObject({ result: 'failure', status: 403, actor: 'dev' });
    expect(refused?.reason).toContain('DENIED: pull refused by rule no-critical: CVE-0000-0001');
  });
});

describe('checkTagChange', () => {
  it('refuses moving a protected tag by PUT, leaving it where it was, and allows unprotected moves', async () => {
    const first = await pushImage('v1');
    frozenTags.add('v1');
    tagAsks.length = 0;
    // Re-pushing the same manifest under the tag is no change, and asks nothing.
    expect((await putManifest('v1', await manifestBytes(first))).status).toBe(201);
    expect(tagAsks).toEqual([]);
    const other = await pushImage('scratch');
    const moved = await putManifest('v1', await manifestBytes(other));
    expect(moved.status).toBe(403);
    expect(await errorOf(moved)).toEqual({ code: 'DENIED', message: 'tag v1 is immutable (pattern v*)' });
    expect(tagAsks).toEqual([
      { tag: 'v1', current: first, next: other, actor: { kind: 'user', name: 'dev' } },
    ]);
    const still = await fetch(`${reg.url}/v2/${REPO}/manifests/v1`, { method: 'HEAD', headers: auth() });
    expect(still.headers.get('docker-content-digest')).toBe(first);
    // ?tag= on a push by digest is a move too.
    const byDigest = await fetch(`${reg.url}/v2/${REPO}/manifests/${other}?tag=v1`, {
      method: 'PUT',
      headers: { ...auth(), 'content-type': MediaType.ociManifest },
      body: await manifestBytes(other),
    });
    expect(byDigest.status).toBe(403);
    // An unprotected tag moves (asked, allowed).
    expect((await putManifest('scratch', await manifestBytes(first))).status).toBe(201);
    expect(tagAsks.at(-1)).toMatchObject({ tag: 'scratch', current: other, next: first });
  });

  it('refuses deleting a protected tag, and deleting by digest a manifest a protected tag points at', async () => {
    const digest = await pushImage('v2');
    await pushImage('tmp');
    frozenTags.add('v2');
    const byTag = await fetch(`${reg.url}/v2/${REPO}/manifests/v2`, { method: 'DELETE', headers: auth() });
    expect(byTag.status).toBe(403);
    expect((await errorOf(byTag))?.message).toBe('tag v2 is immutable (pattern v*)');
    const byDigest = await fetch(`${reg.url}/v2/${REPO}/manifests/${digest}`, {
      method: 'DELETE',
      headers: auth(),
    });
    expect(byDigest.status).toBe(403);
    expect(tagAsks.at(-1)).toMatchObject({ tag: 'v2', current: digest, next: undefined });
    expect(
      (await fetch(`${reg.url}/v2/${REPO}/manifests/v2`, { method: 'HEAD', headers: auth() })).status,
    ).toBe(200);
    const deletes = reg.audit?.query({ repository: REPO, action: 'delete' }) ?? [];
    expect(deletes.some((e) => e.status === 403 && (e.reason ?? '').includes('tag v2 is immutable'))).toBe(
      true,
    );
    // Unprotected: deleted.
    const tmp = await fetch(`${reg.url}/v2/${REPO}/manifests/tmp`, { method: 'DELETE', headers: auth() });
    expect(tmp.status).toBe(202);
  });
});

describe('onManifestPushed', () => {
  it('is told each stored manifest with its tags and the actor, and its failure does not fail the push', async () => {
    pushed.length = 0;
    const digest = await pushImage('notify');
    expect(pushed).toHaveLength(1);
    expect(pushed[0]).toMatchObject({
      repository: REPO,
      tags: ['notify'],
      actor: { kind: 'user', name: 'dev' },
      record: { digest, mediaType: MediaType.ociManifest },
    });
    pushHookThrows = true;
    try {
      const again = await pushImage('notify-2');
      expect(pushed.at(-1)?.record.digest).toBe(again);
    } finally {
      pushHookThrows = false;
    }
  });
});
