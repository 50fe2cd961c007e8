import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../core/index.js';
import { startProxy } from '../../testing/http-proxy.js';
import { runCommand } from '../../testing/oci-images.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import { OciError } from '../errors.js';
import { MediaType } from '../mediatypes.js';
import type { Descriptor, ImageManifest } from '../schema.js';
import { RegistryClient } from './client.js';
import { referrersTag } from './referrers.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream that hands out its content in small pieces, as a file or network source would. */
function trickle(data: Buffer, piece = 7000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += piece) parts.push(data.subarray(i, i + piece));
  return Readable.from(parts);
}

function blob(data: Buffer, mediaType = 'application/octet-stream'): Descriptor & { bytes: Buffer } {
  return { mediaType, digest: digestOf(data), size: data.length, bytes: data };
}

const fast = { retryDelayMs: { base: 10, max: 2000 } } as const;

let registry: TestRegistry;
let client: RegistryClient;
let work: string;

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient(fast);
  work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-push-test-'));
});

afterAll(async () => {
  client.close();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

/** Pushes a one-layer image made of fresh random bytes; returns its manifest and digest. */
async function pushImage(
  repository: string,
  tag: string,
): Promise<{ manifest: ImageManifest; bytes: Buffer; digest: Digest }> {
  const repo = { registry: registry.host, repository };
  const layer = blob(randomBytes(3000), MediaType.ociLayerTar);
  const configJson = {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  };
  const config = blob(Buffer.from(JSON.stringify(configJson)), MediaType.ociConfig);
  await client.pushBlob(repo, layer, () => layer.bytes);
  await client.pushBlob(repo, config, () => config.bytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = await client.putManifest({ ...repo, tag }, bytes, MediaType.ociManifest);
  return { manifest, bytes, digest };
}

describe('pushing blobs', () => {
  it('uploads a blob monolithically from a stream, then skips it because it exists', async () => {
    const repo = { registry: registry.host, repository: 'push/mono' };
    const b = blob(randomBytes(300 * 1024));
    expect(await client.blobExists(repo, b.digest)).toBe(false);
    expect(await client.pushBlob(repo, b, () => trickle(b.bytes))).toBe('uploaded');
    expect(await client.blobExists(repo, b.digest)).toBe(true);
    expect((await readAll(await client.openBlob(repo, b))).equals(b.bytes)).toBe(true);
    expect(await client.pushBlob(repo, b, () => b.bytes)).toBe('exists');
  });

  it('uploads a small blob in one POST, or POST then PUT where the registry wants that', async () => {
    const repo = { registry: registry.host, repository: 'push/small' };
    const b = blob(Buffer.from('{"small":true}'));
    expect(await client.pushBlob(repo, b, () => b.bytes)).toBe('uploaded');
    expect((await readAll(await client.openBlob(repo, b))).equals(b.bytes)).toBe(true);
  });

  it('uploads in PATCH chunks with Content-Range, then finishes with a PUT', async () => {
    const proxy = await startProxy(registry.host);
    try {
      const proxied = new RegistryClient(fast);
      const repo = { registry: proxy.host, repository: 'push/chunked' };
      const b = blob(randomBytes(200 * 1024));
      expect(await proxied.pushBlob(repo, b, () => trickle(b.bytes), { chunkSize: 64 * 1024 })).toBe(
        'uploaded',
      );
      const uploads = proxy.requests.filter((r) => r.url.includes('/blobs/uploads/'));
      expect(uploads.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PATCH', 'PATCH', 'PATCH', 'PUT']);
      expect(uploads.filter((r) => r.method === 'PATCH').map((r) => r.headers['content-range'])).toEqual([
        '0-65535',
        '65536-131071',
        '131072-196607',
        '196608-204799',
      ]);
      expect((await readAll(await proxied.openBlob(repo, b))).equals(b.bytes)).toBe(true);
      proxied.close();
    } finally {
      await proxy.stop();
    }
  });

  it('mounts a blob from another repository instead of uploading it', async () => {
    const from = { registry: registry.host, repository: 'push/mount-source' };
    const to = { registry: registry.host, repository: 'push/mount-target' };
    const b = blob(randomBytes(100 * 1024));
    await client.pushBlob(from, b, () => b.bytes);
    let called = false;
    const result = await client.pushBlob(
      to,
      b,
      () => {
        called = true;
        return b.bytes;
      },
      { mountFrom: from },
    );
    expect(result).toBe('mounted');
    expect(called).toBe(false);
    expect(await client.blobExists(to, b.digest)).toBe(true);
  });

  it('uploads when the mount source does not have the blob (202 from the mount request)', async () => {
    const to = { registry: registry.host, repository: 'push/mount-fallback' };
    const b = blob(randomBytes(80 * 1024));
    expect(
      await client.pushBlob(to, b, () => b.bytes, {
        mountFrom: { registry: registry.host, repository: 'push/nowhere' },
      }),
    ).toBe('uploaded');
    expect((await readAll(await client.openBlob(to, b))).equals(b.bytes)).toBe(true);
  });

  it('refuses a source that does not match the descriptor, and nothing is stored', async () => {
    const repo = { registry: registry.host, repository: 'push/wrong' };
    const b = blob(randomBytes(100 * 1024));
    const other = randomBytes(100 * 1024);
    await expect(client.pushBlob(repo, b, () => trickle(other))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    await expect(client.pushBlob(repo, b, () => other.subarray(0, 10))).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
    });
    expect(await client.blobExists(repo, b.digest)).toBe(false);
  });
  it('cancels the upload session when a chunked upload turns out wrong', async () => {
    const proxy = await startProxy(registry.host);
    try {
      const proxied = new RegistryClient(fast);
      const repo = { registry: proxy.host, repository: 'push/cancelled' };
      const b = blob(randomBytes(100 * 1024));
      await expect(
        proxied.pushBlob(repo, b, () => trickle(randomBytes(100 * 1024)), { chunkSize: 64 * 1024 }),
      ).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      const uploads = proxy.requests.filter((r) => r.url.includes('/blobs/uploads/'));
      // The last 36 KiB never leave: verification fails before the final chunk is complete.
      expect(uploads.map((r) => r.method)).toEqual(['POST', 'PATCH', 'DELETE']);
      expect(await proxied.blobExists(repo, b.digest)).toBe(false);
      proxied.close();
    } finally {
      await proxy.stop();
    }
  });
});

describe('pushing manifests', () => {
  it('pushes a manifest by tag that skopeo reads back byte for byte', async () => {
    const { bytes, digest } = await pushImage('push/image', 'v1');
    expect(digest).toBe(digestOf(bytes));
    const fetched = await client.getManifest({
      registry: registry.host,
      repository: 'push/image',
      tag: 'v1',
    });
    expect(fetched.bytes.equals(bytes)).toBe(true);
    const raw = await runCommand('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registry.host}/push/image:v1`,
    ]);
    expect(raw).toBe(bytes.toString('utf8'));
    // A full copy checks that every blob the manifest names was pushed intact.
    await runCommand('skopeo', [
      'copy',
      '-q',
      '--src-tls-verify=false',
      `docker://${registry.host}/push/image:v1`,
      `oci:${path.join(work, 'copy')}:v1`,
    ]);
  });

  it('pushes a manifest by digest', async () => {
    const { bytes, manifest } = await pushImage('push/bydigest', 'tmp');
    const digest = digestOf(bytes);
    const from = { registry: registry.host, repository: 'push/bydigest' };
    for (const d of [manifest.config, ...manifest.layers]) {
      expect(
        await client.pushBlob(
          { registry: registry.host, repository: 'push/other' },
          d,
          () => Buffer.alloc(0),
          { mountFrom: from },
        ),
      ).toBe('mounted');
    }
    expect(
      await client.putManifest(
        { registry: registry.host, repository: 'push/other', digest },
        bytes,
        MediaType.ociManifest,
      ),
    ).toBe(digest);
    expect(await client.headManifest({ registry: registry.host, repository: 'push/other', digest })).toEqual({
      digest,
      mediaType: MediaType.ociManifest,
      size: bytes.length,
    });
  });

  it('pushes name:tag@digest under the tag after checking the digest', async () => {
    const { bytes } = await pushImage('push/both', 'seed');
    const digest = digestOf(bytes);
    const repo = { registry: registry.host, repository: 'push/both' };
    expect(await client.putManifest({ ...repo, tag: 'both', digest }, bytes, MediaType.ociManifest)).toBe(
      digest,
    );
    expect((await client.headManifest({ ...repo, tag: 'both' }))?.digest).toBe(digest);
  });

  it('refuses bytes that do not match the digest they are pushed under, before sending them', async () => {
    const err = await client
      .putManifest(
        { registry: registry.host, repository: 'push/x', digest: digestOf('other') },
        Buffer.from('{}'),
        MediaType.ociManifest,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciError);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID' });
  });
});

describe('listing tags', () => {
  const tags = Array.from({ length: 7 }, (_, i) => `t${i}`);
  beforeAll(async () => {
    const { bytes } = await pushImage('push/tags', 'seed');
    for (const t of tags)
      await client.putManifest(
        { registry: registry.host, repository: 'push/tags', tag: t },
        bytes,
        MediaType.ociManifest,
      );
  });

  it('lists every tag from a registry that ignores the page size', async () => {
    const listed = await client.listTags(
      { registry: registry.host, repository: 'push/tags' },
      { pageSize: 3 },
    );
    expect([...listed].sort()).toEqual([...tags, 'seed'].sort());
  });

  /** Pages the real registry's tag list the way distribution 3 and the spec do. */
  function paginate(withLink: boolean) {
    return startProxy(registry.host, (req, _res, forward) => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      if (!url.pathname.endsWith('/tags/list')) {
        forward();
        return;
      }
      forward({
        rewriteBody: (body, headers) => {
          const all = (JSON.parse(body.toString('utf8')) as { name: string; tags: string[] }).tags.sort();
          const n = Number(url.searchParams.get('n') ?? all.length);
          const last = url.searchParams.get('last') ?? undefined;
          const rest = last === undefined ? all : all.filter((t) => t > last);
          const page = rest.slice(0, n);
          const out = { ...headers };
          if (withLink && rest.length > n)
            out['link'] = `<${url.pathname}?n=${n}&last=${page[page.length - 1] ?? ''}>; rel="next"`;
          return { body: Buffer.from(JSON.stringify({ name: 'push/tags', tags: page })), headers: out };
        },
      });
    });
  }

  it('follows Link rel="next" across pages', async () => {
    const proxy = await paginate(true);
    try {
      const proxied = new RegistryClient(fast);
      const listed = await proxied.listTags(
        { registry: proxy.host, repository: 'push/tags' },
        { pageSize: 3 },
      );
      expect(listed).toEqual([...tags, 'seed'].sort());
      expect(proxy.requests.filter((r) => r.url.includes('/tags/list'))).toHaveLength(3);
      proxied.close();
    } finally {
      await proxy.stop();
    }
  });

  it('pages with last= when full pages come without a Link header', async () => {
    const proxy = await paginate(false);
    try {
      const proxied = new RegistryClient(fast);
      const listed = await proxied.listTags(
        { registry: proxy.host, repository: 'push/tags' },
        { pageSize: 4 },
      );
      expect(listed).toEqual([...tags, 'seed'].sort());
      proxied.close();
    } finally {
      await proxy.stop();
    }
  });

  it('reports an unknown repository as MANIFEST_UNKNOWN', async () => {
    await expect(client.listTags({ registry: registry.host, repository: 'push/none' })).rejects.toMatchObject(
      { code: 'MANIFEST_UNKNOWN' },
    );
  });
});

describe('referrers on a registry without the referrers API', () => {
  async function pushArtifact(
    repository: string,
    subject: { digest: Digest; size: number },
    artifactType: string,
  ): Promise<Digest> {
    const repo = { registry: registry.host, repository };
    const empty = blob(Buffer.from('{}'), MediaType.ociEmpty);
    const payload = blob(randomBytes(64), 'application/vnd.example.payload');
    await client.pushBlob(repo, empty, () => empty.bytes);
    await client.pushBlob(repo, payload, () => payload.bytes);
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType,
      config: { mediaType: MediaType.ociEmpty, digest: empty.digest, size: empty.size },
      layers: [{ mediaType: payload.mediaType, digest: payload.digest, size: payload.size }],
      subject: { mediaType: MediaType.ociManifest, digest: subject.digest, size: subject.size },
      annotations: { 'org.example.note': artifactType },
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    return client.putManifest(
      { registry: registry.host, repository, digest: digestOf(bytes) },
      bytes,
      MediaType.ociManifest,
    );
  }

  it('keeps the referrers tag index up to date and finds referrers through it, filtered by artifact type', async () => {
    const repo = { registry: registry.host, repository: 'push/referred' };
    const image = await pushImage(repo.repository, 'v1');
    const subject = { digest: image.digest, size: image.bytes.length };
    const sbom = await pushArtifact(repo.repository, subject, 'application/vnd.example.sbom');
    const sig = await pushArtifact(repo.repository, subject, 'application/vnd.example.signature');

    const all = await client.getReferrers(repo, image.digest);
    expect(all.manifests.map((d) => d.digest).sort()).toEqual([sbom, sig].sort());
    expect(all.manifests.find((d) => d.digest === sbom)).toMatchObject({
      mediaType: MediaType.ociManifest,
      artifactType: 'application/vnd.example.sbom',
      annotations: { 'org.example.note': 'application/vnd.example.sbom' },
    });
    const sboms = await client.getReferrers(repo, image.digest, {
      artifactType: 'application/vnd.example.sbom',
    });
    expect(sboms.manifests.map((d) => d.digest)).toEqual([sbom]);
    expect(await client.listTags(repo)).toContain(referrersTag(image.digest));

    // Pushing the same referrer again does not add a second entry.
    const again = await client.getManifest({ ...repo, digest: sbom });
    await client.putManifest({ ...repo, digest: sbom }, again.bytes, MediaType.ociManifest);
    expect((await client.getReferrers(repo, image.digest)).manifests).toHaveLength(2);
  });

  it('answers an empty index for a subject without referrers', async () => {
    const index = await client.getReferrers(
      { registry: registry.host, repository: 'push/referred' },
      digestOf('nothing refers to this'),
    );
    expect(index).toMatchObject({ schemaVersion: 2, manifests: [] });
  });
});

describe('referrers on a registry with the referrers API (played by a loopback proxy)', () => {
  it('uses GET /v2/<name>/referrers/<digest>, filtering client-side unless the registry says it did', async () => {
    const subject = digestOf('subject manifest');
    const sbom = {
      mediaType: MediaType.ociManifest,
      digest: digestOf('sbom'),
      size: 10,
      artifactType: 'application/vnd.example.sbom',
    };
    const sig = {
      mediaType: MediaType.ociManifest,
      digest: digestOf('sig'),
      size: 11,
      artifactType: 'application/vnd.example.sig',
    };
    let filtersApplied = false;
    const proxy = await startProxy(registry.host, (req, res, forward) => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      if (url.pathname === `/v2/push/api/referrers/${subject}`) {
        const type = url.searchParams.get('artifactType') ?? undefined;
        const manifests =
          filtersApplied && type !== undefined
            ? [sbom, sig].filter((d) => d.artifactType === type)
            : [sbom, sig];
        res.writeHead(200, {
          'content-type': MediaType.ociIndex,
          ...(filtersApplied ? { 'oci-filters-applied': 'artifactType' } : {}),
        });
        res.end(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
      } else {
        forward();
      }
    });
    try {
      const proxied = new RegistryClient(fast);
      const repo = { registry: proxy.host, repository: 'push/api' };
      expect((await proxied.getReferrers(repo, subject)).manifests.map((d) => d.digest)).toEqual([
        sbom.digest,
        sig.digest,
      ]);
      expect(
        (await proxied.getReferrers(repo, subject, { artifactType: sig.artifactType })).manifests.map(
          (d) => d.digest,
        ),
      ).toEqual([sig.digest]);
      filtersApplied = true;
      expect(
        (await proxied.getReferrers(repo, subject, { artifactType: sbom.artifactType })).manifests.map(
          (d) => d.digest,
        ),
      ).toEqual([sbom.digest]);
      // The tag schema is never consulted when the API answers.
      expect(proxy.requests.some((r) => r.url.includes(referrersTag(subject)))).toBe(false);
      proxied.close();
    } finally {
      await proxy.stop();
    }
  });

  it('leaves the referrers tag alone when the registry confirms the subject with OCI-Subject', async () => {
    const image = await pushImage('push/subject-api', 'v1');
    const proxy = await startProxy(registry.host, (req, _res, forward) => {
      if (req.method === 'PUT' && req.url?.includes('/manifests/')) {
        forward({ rewriteHeaders: (h) => ({ ...h, 'oci-subject': image.digest }) });
      } else {
        forward();
      }
    });
    try {
      const proxied = new RegistryClient(fast);
      const repo = { registry: proxy.host, repository: 'push/subject-api' };
      const manifest = {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType: 'application/vnd.example.sbom',
        config: image.manifest.config,
        layers: image.manifest.layers,
        subject: { mediaType: MediaType.ociManifest, digest: image.digest, size: image.bytes.length },
      };
      const bytes = Buffer.from(JSON.stringify(manifest));
      await proxied.putManifest({ ...repo, digest: digestOf(bytes) }, bytes, MediaType.ociManifest);
      expect(proxy.requests.filter((r) => r.method === 'PUT').map((r) => r.url)).toEqual([
        `/v2/push/subject-api/manifests/${digestOf(bytes)}`,
      ]);
      expect(
        await client.listTags({ registry: registry.host, repository: 'push/subject-api' }),
      ).not.toContain(referrersTag(image.digest));
      proxied.close();
    } finally {
      await proxy.stop();
    }
  });
});
