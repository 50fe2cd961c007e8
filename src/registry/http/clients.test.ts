import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { MediaType, RegistryClient, type ImageManifest } from '../../oci/index.js';
import {
  addIndexToLayout,
  buildTestImages,
  layoutDescriptor,
  pushLayoutTag,
  runCommand,
} from '../../testing/oci-images.js';
import { SqliteMetadataStore } from '../metadata/sqlite.js';
import { FilesystemBlobStore } from '../storage/filesystem.js';
import { startRegistryServer, type RegistryServer } from './server.js';

// Real clients against the server: skopeo (containers/image) and our own RegistryClient.

let work: string;
let server: RegistryServer;
let metadata: SqliteMetadataStore;
let host: string;
let client: RegistryClient;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-registry-clients-'));
  metadata = SqliteMetadataStore.open(path.join(work, 'data', 'registry.db'));
  server = await startRegistryServer({
    host: '127.0.0.1',
    port: 0,
    blobs: new FilesystemBlobStore(path.join(work, 'data')),
    metadata,
  });
  host = new URL(server.url).host;
  client = new RegistryClient({ retryDelayMs: { base: 10, max: 1000 } });
});

afterAll(async () => {
  client.close();
  await server.close();
  await metadata.close();
  await rm(work, { recursive: true, force: true });
});

function blob(data: Buffer, mediaType: string) {
  return { mediaType, digest: digestOf(data), size: data.length, bytes: data };
}

describe('skopeo', () => {
  it('pushes an umoci-built image and pulls it back with identical digests', async () => {
    const layout = path.join(work, 'layout');
    await buildTestImages(layout, [{ tag: 'v1', files: { 'etc/hello.txt': 'hello registry\n' } }], work);
    const pushed = await layoutDescriptor(layout, 'v1');
    await pushLayoutTag(layout, 'v1', `${host}/team/skopeo:v1`);

    const raw = await runCommand('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${host}/team/skopeo:v1`,
    ]);
    expect(digestOf(raw)).toBe(pushed.digest);

    const out = path.join(work, 'pulled');
    await runCommand('skopeo', [
      'copy',
      '-q',
      '--src-tls-verify=false',
      `docker://${host}/team/skopeo:v1`,
      `oci:${out}:v1`,
    ]);
    expect((await layoutDescriptor(out, 'v1')).digest).toBe(pushed.digest);

    // A multi-platform index with skopeo --all: the children go first, then the index.
    await buildTestImages(
      layout,
      [{ tag: 'arm', files: { 'etc/arch': 'arm64\n' }, architecture: 'arm64' }],
      work,
    );
    const index = await addIndexToLayout(layout, 'multi', [
      { tag: 'v1', platform: { os: 'linux', architecture: 'amd64' } },
      { tag: 'arm', platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    await pushLayoutTag(layout, 'multi', `${host}/team/skopeo:multi`, { all: true });
    const rawIndex = await runCommand('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${host}/team/skopeo:multi`,
    ]);
    expect(digestOf(rawIndex)).toBe(index.digest);

    // A second push of the same image finds every blob present and changes nothing.
    await pushLayoutTag(layout, 'v1', `${host}/team/skopeo:v1-again`);
    const tags = await runCommand('skopeo', [
      'list-tags',
      '--tls-verify=false',
      `docker://${host}/team/skopeo`,
    ]);
    expect((JSON.parse(tags) as { Tags: string[] }).Tags).toEqual(['multi', 'v1', 'v1-again']);
  });
});

describe('RegistryClient', () => {
  it('pushes in chunks, mounts across repositories, and finds a referrer through the referrers API', async () => {
    const repo = { registry: host, repository: 'team/client' };
    const layer = blob(randomBytes(300 * 1024), MediaType.ociLayerTar);
    const config = blob(
      Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' })),
      MediaType.ociConfig,
    );
    expect(
      await client.pushBlob(repo, layer, () => Readable.from([layer.bytes]), { chunkSize: 64 * 1024 }),
    ).toBe('uploaded');
    expect(await client.pushBlob(repo, config, () => config.bytes)).toBe('uploaded');
    expect(await client.pushBlob(repo, layer, () => layer.bytes)).toBe('exists');
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = await client.putManifest({ ...repo, tag: 'v1' }, bytes, MediaType.ociManifest);
    expect(digest).toBe(digestOf(bytes));
    const fetched = await client.getManifest({ ...repo, tag: 'v1' });
    expect(fetched.digest).toBe(digest);

    const other = { registry: host, repository: 'team/mounted' };
    expect(await client.pushBlob(other, layer, () => layer.bytes, { mountFrom: repo })).toBe('mounted');

    const empty = blob(Buffer.from('{}'), MediaType.ociEmpty);
    await client.pushBlob(repo, empty, () => empty.bytes);
    const signature: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: 'application/vnd.example.signature',
      config: { mediaType: empty.mediaType, digest: empty.digest, size: empty.size },
      layers: [{ mediaType: empty.mediaType, digest: empty.digest, size: empty.size }],
      subject: { mediaType: MediaType.ociManifest, digest, size: bytes.length },
    };
    const sigBytes = Buffer.from(JSON.stringify(signature));
    const sigDigest = await client.putManifest(
      { ...repo, digest: digestOf(sigBytes) },
      sigBytes,
      MediaType.ociManifest,
    );
    const referrers = await client.getReferrers(repo, digest, {
      artifactType: 'application/vnd.example.signature',
    });
    expect(referrers.manifests.map((m) => m.digest)).toEqual([sigDigest]);
    // Our server answers the referrers API, so no fallback tag was written.
    expect(await client.listTags(repo)).toEqual(['v1']);
  });
});
