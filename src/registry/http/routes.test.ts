import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';
import { SqliteMetadataStore } from '../metadata/sqlite.js';
import { FilesystemBlobStore } from '../storage/filesystem.js';
import { startRegistryServer, type RegistryServer } from './server.js';

type Res = { status: number; headers: http.IncomingHttpHeaders; body: Buffer; json(): unknown };

/** A raw request: the path goes on the wire exactly as given (fetch would normalize "../"). */
function request(
  base: string,
  method: string,
  pathAndQuery: string,
  opts: { headers?: Record<string, string>; body?: Buffer | string | undefined } = {},
): Promise<Res> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: pathAndQuery, headers: opts.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body.toString('utf8')) as unknown,
          });
        });
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

function errorCode(res: Res): string | undefined {
  const body = res.json() as { errors?: { code: string }[] };
  return body.errors?.[0]?.code;
}

let dir: string;
let server: RegistryServer;
let metadata: SqliteMetadataStore;
let blobs: FilesystemBlobStore;
let base: string;

async function start(): Promise<void> {
  blobs = new FilesystemBlobStore(dir);
  metadata = SqliteMetadataStore.open(path.join(dir, 'registry.db'));
  server = await startRegistryServer({ host: '127.0.0.1', port: 0, blobs, metadata });
  base = server.url;
}

async function stop(): Promise<void> {
  await server.close();
  await metadata.close();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-registry-http-'));
  await start();
});

afterAll(async () => {
  await stop();
  await rm(dir, { recursive: true, force: true });
});

async function pushBlob(name: string, data: Buffer): Promise<Digest> {
  const digest = digestOf(data);
  const res = await request(base, 'POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
    body: data,
  });
  expect(res.status).toBe(201);
  return digest;
}

async function pushImage(
  name: string,
  tag: string,
  extra: { subject?: { digest: Digest; size: number }; artifactType?: string; layer?: Buffer } = {},
): Promise<{ digest: Digest; size: number; res: Res }> {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const layer = extra.layer ?? randomBytes(2000);
  const configDigest = await pushBlob(name, config);
  const layerDigest = await pushBlob(name, layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      ...(extra.artifactType !== undefined ? { artifactType: extra.artifactType } : {}),
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: layerDigest, size: layer.length }],
      ...(extra.subject !== undefined
        ? { subject: { mediaType: MediaType.ociManifest, ...extra.subject } }
        : {}),
    }),
  );
  const res = await request(base, 'PUT', `/v2/${name}/manifests/${tag}`, {
    headers: { 'content-type': MediaType.ociManifest },
    body: manifest,
  });
  expect(res.status).toBe(201);
  return { digest: digestOf(manifest), size: manifest.length, res };
}

describe('distribution API: ping and names', () => {
  it('answers the version check with the API version header', async () => {
    const res = await request(base, 'GET', '/v2/');
    expect(res.status).toBe(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it.each([
    '/v2/../etc/blobs/sha256:' + '0'.repeat(64),
    '/v2/team/%2e%2e/app/manifests/latest',
    '/v2/team/../app/tags/list',
    '/v2/Team/App/tags/list',
    '/v2/team//app/tags/list',
    `/v2/${'a'.repeat(256)}/tags/list`,
  ])('refuses the hostile or invalid repository name in %s with NAME_INVALID', async (p) => {
    const res = await request(base, 'GET', p);
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('NAME_INVALID');
  });
});

describe('distribution API: blobs', () => {
  it('serves a pushed blob whole, by HEAD, and by range', async () => {
    const data = randomBytes(10_000);
    const digest = await pushBlob('team/blobs', data);
    const head = await request(base, 'HEAD', `/v2/team/blobs/blobs/${digest}`);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('10000');
    expect(head.headers['docker-content-digest']).toBe(digest);
    const get = await request(base, 'GET', `/v2/team/blobs/blobs/${digest}`);
    expect(get.body.equals(data)).toBe(true);
    const part = await request(base, 'GET', `/v2/team/blobs/blobs/${digest}`, {
      headers: { range: 'bytes=100-199' },
    });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 100-199/10000');
    expect(part.body.equals(data.subarray(100, 200))).toBe(true);
    const bad = await request(base, 'GET', `/v2/team/blobs/blobs/${digest}`, {
      headers: { range: 'bytes=20000-' },
    });
    expect(bad.status).toBe(416);
  });

  it.each([
    ['bytes=500-1499', 206, 'bytes 500-1499/3000'],
    ['bytes=500-', 206, 'bytes 500-2999/3000'],
    ['bytes=-500', 206, 'bytes 2500-2999/3000'],
    ['bytes=2000-5000', 206, 'bytes 2000-2999/3000'],
    ['bytes=500-0', 416, undefined],
    ['bytes=5000-10000', 416, undefined],
  ])('answers Range %s with %i', async (range, status, contentRange) => {
    const data = Buffer.alloc(3000, 7);
    data.write('range test', 0);
    const digest = await pushBlob('team/ranges', data);
    const res = await request(base, 'GET', `/v2/team/ranges/blobs/${digest}`, { headers: { range } });
    expect(res.status).toBe(status);
    expect(res.headers['content-range']).toBe(contentRange);
    if (status === 416) expect(errorCode(res)).toBe('RANGE_INVALID');
  });

  it('stores empty blobs and the empty JSON blob', async () => {
    for (const data of [Buffer.alloc(0), Buffer.from('{}')]) {
      const digest = await pushBlob('team/empty', data);
      const get = await request(base, 'GET', `/v2/team/empty/blobs/${digest}`);
      expect(get.status).toBe(200);
      expect(get.body.equals(data)).toBe(true);
    }
  });

  it('accepts a streamed upload: one PATCH without Content-Range, then PUT', async () => {
    const data = randomBytes(70_000);
    const post = await request(base, 'POST', '/v2/team/stream/blobs/uploads/');
    const location = post.headers.location ?? '';
    const patch = await request(base, 'PATCH', location, {
      headers: { 'transfer-encoding': 'chunked' },
      body: data,
    });
    expect(patch.status).toBe(202);
    expect(patch.headers.range).toBe('0-69999');
    expect((await request(base, 'PUT', `${location}?digest=${digestOf(data)}`)).status).toBe(201);
  });

  it('does not show a blob in a repository it was not pushed to', async () => {
    const digest = await pushBlob('team/blobs', Buffer.from('only here'));
    const res = await request(base, 'HEAD', `/v2/team/elsewhere/blobs/${digest}`);
    expect(res.status).toBe(404);
  });

  it('refuses a monolithic upload whose content does not match the digest, writing nothing', async () => {
    const claimed = digestOf('what was promised');
    const res = await request(base, 'POST', `/v2/team/blobs/blobs/uploads/?digest=${claimed}`, {
      headers: { 'content-type': 'application/octet-stream' },
      body: 'something else',
    });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('DIGEST_INVALID');
    expect(await blobs.stat(claimed)).toBeUndefined();
    expect(await blobs.stat(digestOf('something else'))).toBeUndefined();
    const stray = (await readdir(path.join(dir, 'blobs'), { recursive: true })).filter((f) =>
      f.includes('.tmp-'),
    );
    expect(stray).toEqual([]);
  });

  it('refuses a malformed digest', async () => {
    const res = await request(base, 'GET', '/v2/team/blobs/blobs/sha256:abc');
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('DIGEST_INVALID');
  });

  it('runs a chunked upload: POST, PATCH with Content-Range, status, out-of-order refusal, PUT', async () => {
    const data = randomBytes(30_000);
    const digest = digestOf(data);
    const post = await request(base, 'POST', '/v2/team/chunks/blobs/uploads/');
    expect(post.status).toBe(202);
    const location = post.headers.location ?? '';
    expect(location).toMatch(/^\/v2\/team\/chunks\/blobs\/uploads\/[0-9a-f-]{36}$/);
    expect(post.headers['docker-upload-uuid']).toBe(location.split('/').pop());
    const first = await request(base, 'PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9999' },
      body: data.subarray(0, 10_000),
    });
    expect(first.status).toBe(202);
    expect(first.headers.range).toBe('0-9999');
    const skipped = await request(base, 'PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': '20000-29999' },
      body: data.subarray(20_000),
    });
    expect(skipped.status).toBe(416);
    const status = await request(base, 'GET', location);
    expect(status.status).toBe(204);
    expect(status.headers.range).toBe('0-9999');
    await request(base, 'PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': '10000-19999' },
      body: data.subarray(10_000, 20_000),
    });
    const put = await request(base, 'PUT', `${location}?digest=${digest}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': '20000-29999' },
      body: data.subarray(20_000),
    });
    expect(put.status).toBe(201);
    expect(put.headers['docker-content-digest']).toBe(digest);
    const get = await request(base, 'GET', `/v2/team/chunks/blobs/${digest}`);
    expect(get.body.equals(data)).toBe(true);
  });

  it('rejects a completed upload whose content does not match the digest', async () => {
    const post = await request(base, 'POST', '/v2/team/chunks/blobs/uploads/');
    const location = post.headers.location ?? '';
    await request(base, 'PATCH', location, { body: 'actual bytes' });
    const wrong = digestOf('claimed bytes');
    const put = await request(base, 'PUT', `${location}?digest=${wrong}`);
    expect(put.status).toBe(400);
    expect(errorCode(put)).toBe('DIGEST_INVALID');
    expect(await blobs.stat(wrong)).toBeUndefined();
  });

  it('cancels an upload', async () => {
    const post = await request(base, 'POST', '/v2/team/chunks/blobs/uploads/');
    const location = post.headers.location ?? '';
    expect((await request(base, 'DELETE', location)).status).toBe(204);
    const after = await request(base, 'GET', location);
    expect(after.status).toBe(404);
    expect(errorCode(after)).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('resumes an upload session after a restart', async () => {
    const data = randomBytes(5000);
    const post = await request(base, 'POST', '/v2/team/resume/blobs/uploads/');
    const location = post.headers.location ?? '';
    await request(base, 'PATCH', location, {
      headers: { 'content-range': '0-2499' },
      body: data.subarray(0, 2500),
    });
    await stop();
    await start();
    const status = await request(base, 'GET', location);
    expect(status.headers.range).toBe('0-2499');
    const put = await request(base, 'PUT', `${location}?digest=${digestOf(data)}`, {
      headers: { 'content-range': '2500-4999' },
      body: data.subarray(2500),
    });
    expect(put.status).toBe(201);
  });

  it('mounts a blob from another repository, and falls back to an upload when it cannot', async () => {
    const digest = await pushBlob('team/source', randomBytes(1000));
    const mount = await request(
      base,
      'POST',
      `/v2/team/target/blobs/uploads/?mount=${digest}&from=team/source`,
    );
    expect(mount.status).toBe(201);
    expect(mount.headers.location).toBe(`/v2/team/target/blobs/${digest}`);
    expect((await request(base, 'HEAD', `/v2/team/target/blobs/${digest}`)).status).toBe(200);
    const absent = digestOf('not anywhere');
    const fallback = await request(
      base,
      'POST',
      `/v2/team/target/blobs/uploads/?mount=${absent}&from=team/source`,
    );
    expect(fallback.status).toBe(202);
  });

  it('deletes a blob from a repository', async () => {
    const digest = await pushBlob('team/delete', Buffer.from('delete me'));
    expect((await request(base, 'DELETE', `/v2/team/delete/blobs/${digest}`)).status).toBe(202);
    const after = await request(base, 'GET', `/v2/team/delete/blobs/${digest}`);
    expect(after.status).toBe(404);
    expect(errorCode(after)).toBe('BLOB_UNKNOWN');
  });

  it('keeps one good blob when the same blob is pushed concurrently, monolithic and chunked', async () => {
    const data = randomBytes(200_000);
    const digest = digestOf(data);
    const monolithic = Array.from({ length: 6 }, () =>
      request(base, 'POST', `/v2/team/race/blobs/uploads/?digest=${digest}`, { body: data }),
    );
    const chunked = Array.from({ length: 4 }, async () => {
      const post = await request(base, 'POST', '/v2/team/race/blobs/uploads/');
      const location = post.headers.location ?? '';
      await request(base, 'PATCH', location, {
        headers: { 'content-range': '0-99999' },
        body: data.subarray(0, 100_000),
      });
      return request(base, 'PUT', `${location}?digest=${digest}`, {
        headers: { 'content-range': '100000-199999' },
        body: data.subarray(100_000),
      });
    });
    const results = await Promise.all([...monolithic, ...chunked]);
    expect(results.map((r) => r.status)).toEqual(Array<number>(10).fill(201));
    const get = await request(base, 'GET', `/v2/team/race/blobs/${digest}`);
    expect(get.body.equals(data)).toBe(true);
  });
});

describe('distribution API: manifests, tags, referrers, catalog', () => {
  it('stores a manifest by tag and serves it by tag and digest with its digest header', async () => {
    const { digest, size } = await pushImage('team/app', 'v1');
    for (const ref of ['v1', digest]) {
      const head = await request(base, 'HEAD', `/v2/team/app/manifests/${ref}`, {
        headers: { accept: MediaType.ociManifest },
      });
      expect(head.status).toBe(200);
      expect(head.headers['docker-content-digest']).toBe(digest);
      expect(head.headers['content-length']).toBe(String(size));
      const get = await request(base, 'GET', `/v2/team/app/manifests/${ref}`);
      expect(get.headers['content-type']).toBe(MediaType.ociManifest);
      expect(digestOf(get.body)).toBe(digest);
    }
    const unacceptable = await request(base, 'GET', '/v2/team/app/manifests/v1', {
      headers: { accept: MediaType.dockerManifest },
    });
    expect(unacceptable.status).toBe(404);
  });

  it('refuses a manifest that references a blob not in the repository', async () => {
    const missing = digestOf('never pushed');
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: missing, size: 12 },
      layers: [],
    });
    const res = await request(base, 'PUT', '/v2/team/app/manifests/broken', {
      headers: { 'content-type': MediaType.ociManifest },
      body,
    });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('MANIFEST_BLOB_UNKNOWN');
    expect((await request(base, 'GET', '/v2/team/app/manifests/broken')).status).toBe(404);
  });

  it('refuses an index whose child manifest is absent', async () => {
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [{ mediaType: MediaType.ociManifest, digest: digestOf('no such manifest'), size: 10 }],
    });
    const res = await request(base, 'PUT', '/v2/team/app/manifests/index', {
      headers: { 'content-type': MediaType.ociIndex },
      body,
    });
    expect(res.status).toBe(404);
    expect(errorCode(res)).toBe('MANIFEST_UNKNOWN');
  });

  it.each([
    ['not JSON', 'not json at all', MediaType.ociManifest],
    ['an unknown media type', JSON.stringify({ schemaVersion: 2 }), 'application/x-whatever'],
    [
      'a body media type other than the header',
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }),
      MediaType.ociManifest,
    ],
    [
      'a manifest without config',
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [] }),
      MediaType.ociManifest,
    ],
  ])('refuses %s with MANIFEST_INVALID', async (_what, body, contentType) => {
    const res = await request(base, 'PUT', '/v2/team/app/manifests/bad', {
      headers: { 'content-type': contentType },
      body,
    });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('MANIFEST_INVALID');
  });

  it('refuses a manifest over 4 MiB', async () => {
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [],
      annotations: { pad: 'x'.repeat(4 * 1024 * 1024) },
    });
    const res = await request(base, 'PUT', '/v2/team/app/manifests/huge', {
      headers: { 'content-type': MediaType.ociIndex },
      body,
    });
    expect(res.status).toBe(413);
    expect(errorCode(res)).toBe('SIZE_INVALID');
  });

  it('refuses a manifest pushed under a digest it does not hash to', async () => {
    const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });
    const res = await request(base, 'PUT', `/v2/team/app/manifests/${digestOf('other')}`, {
      headers: { 'content-type': MediaType.ociIndex },
      body,
    });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('DIGEST_INVALID');
  });

  it('lists tags in pages with a Link header, and answers NAME_UNKNOWN for an unknown repository', async () => {
    for (const t of ['t1', 't2', 't3', 't4', 't5']) await pushImage('team/paged', t);
    const first = await request(base, 'GET', '/v2/team/paged/tags/list?n=2');
    expect(first.json()).toEqual({ name: 'team/paged', tags: ['t1', 't2'] });
    expect(first.headers.link).toBe('</v2/team/paged/tags/list?n=2&last=t2>; rel="next"');
    const last = await request(base, 'GET', '/v2/team/paged/tags/list?n=2&last=t4');
    expect(last.json()).toEqual({ name: 'team/paged', tags: ['t5'] });
    expect(last.headers.link).toBeUndefined();
    const unknown = await request(base, 'GET', '/v2/team/nothing-here/tags/list');
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('NAME_UNKNOWN');
  });

  it('lists repositories in pages', async () => {
    const first = await request(base, 'GET', '/v2/_catalog?n=1');
    const repos = (first.json() as { repositories: string[] }).repositories;
    expect(repos).toHaveLength(1);
    expect(first.headers.link).toContain('rel="next"');
    const all = (await request(base, 'GET', '/v2/_catalog')).json() as { repositories: string[] };
    expect(all.repositories).toContain('team/app');
    expect([...all.repositories].sort()).toEqual(all.repositories);
  });

  it('indexes a manifest with a subject in the referrers API, with artifactType filtering', async () => {
    const subject = await pushImage('team/refs', 'v1');
    const sig = await pushImage('team/refs', 'sig', {
      subject: { digest: subject.digest, size: subject.size },
      artifactType: 'application/vnd.example.signature',
    });
    expect(sig.res.headers['oci-subject']).toBe(subject.digest);
    const sbom = await pushImage('team/refs', 'sbom', {
      subject: { digest: subject.digest, size: subject.size },
      artifactType: 'application/spdx+json',
    });
    const all = await request(base, 'GET', `/v2/team/refs/referrers/${subject.digest}`);
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toBe(MediaType.ociIndex);
    const index = all.json() as { manifests: { digest: string; artifactType: string }[] };
    expect(index.manifests.map((m) => m.digest).sort()).toEqual([sig.digest, sbom.digest].sort());
    const filtered = await request(
      base,
      'GET',
      `/v2/team/refs/referrers/${subject.digest}?artifactType=application/spdx%2Bjson`,
    );
    expect(filtered.headers['oci-filters-applied']).toBe('artifactType');
    expect((filtered.json() as { manifests: { digest: string }[] }).manifests.map((m) => m.digest)).toEqual([
      sbom.digest,
    ]);
    const none = await request(base, 'GET', `/v2/team/refs/referrers/${digestOf('nothing refers here')}`);
    expect((none.json() as { manifests: unknown[] }).manifests).toEqual([]);
  });

  it('tags a manifest pushed by digest with ?tag= parameters', async () => {
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }),
    );
    const digest = digestOf(index);
    const res = await request(base, 'PUT', `/v2/team/tagparam/manifests/${digest}?tag=a&tag=b`, {
      headers: { 'content-type': MediaType.ociIndex },
      body: index,
    });
    expect(res.status).toBe(201);
    expect(res.headers['oci-tag']).toBe('a, b');
    expect((await request(base, 'GET', '/v2/team/tagparam/tags/list')).json()).toEqual({
      name: 'team/tagparam',
      tags: ['a', 'b'],
    });
  });

  it('stores a Docker schema 2 manifest and serves it with its media type', async () => {
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const configDigest = await pushBlob('team/docker', config);
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: config.length },
        layers: [],
      }),
    );
    const put = await request(base, 'PUT', '/v2/team/docker/manifests/v1', {
      headers: { 'content-type': MediaType.dockerManifest },
      body,
    });
    expect(put.status).toBe(201);
    const get = await request(base, 'GET', '/v2/team/docker/manifests/v1', {
      headers: { accept: `${MediaType.ociManifest}, ${MediaType.dockerManifest}` },
    });
    expect(get.headers['content-type']).toBe(MediaType.dockerManifest);
    expect(get.body.equals(body)).toBe(true);
  });

  it.each(['GET', 'PUT'])(
    'answers %s of a malformed digest reference with DIGEST_INVALID',
    async (method) => {
      const res = await request(base, method, '/v2/team/app/manifests/sha256:not-hex', {
        headers: { 'content-type': MediaType.ociIndex },
        body: method === 'PUT' ? '{}' : undefined,
      });
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('DIGEST_INVALID');
    },
  );

  it('deletes a tag, then the manifest by digest', async () => {
    const { digest } = await pushImage('team/gone', 'v1');
    expect((await request(base, 'DELETE', '/v2/team/gone/manifests/v1')).status).toBe(202);
    expect((await request(base, 'GET', '/v2/team/gone/manifests/v1')).status).toBe(404);
    expect((await request(base, 'GET', `/v2/team/gone/manifests/${digest}`)).status).toBe(200);
    expect((await request(base, 'DELETE', `/v2/team/gone/manifests/${digest}`)).status).toBe(202);
    const after = await request(base, 'GET', `/v2/team/gone/manifests/${digest}`);
    expect(after.status).toBe(404);
    expect(errorCode(after)).toBe('MANIFEST_UNKNOWN');
  });
});
