import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';
import { checkManifest } from '../manifest.js';
import { SqliteMetadataStore } from '../metadata/sqlite.js';
import type { StoredBlob } from '../storage/blob-store.js';
import { FilesystemBlobStore } from '../storage/filesystem.js';
import { collectGarbage } from './gc.js';

let dir: string;
let blobs: FilesystemBlobStore;
let meta: SqliteMetadataStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-gc-'));
  blobs = new FilesystemBlobStore(dir);
  meta = SqliteMetadataStore.open(path.join(dir, 'registry.db'));
});

afterEach(async () => {
  await meta.close();
  await rm(dir, { recursive: true, force: true });
});

// An hour from now with a 30 minute grace period: everything written by the test is old enough.
const later = (): Date => new Date(Date.now() + 3600_000);
const OLD = { gracePeriodSeconds: 1800, now: later() } as const;

/** Stores and links a blob, as a blob push does. */
async function pushBlob(repository: string, data: Buffer): Promise<Digest> {
  const digest = digestOf(data);
  await blobs.put(digest, Readable.from([data]), data.length);
  await meta.linkBlob(repository, digest);
  return digest;
}

/** Stores, links and records a manifest, as a manifest PUT does. */
async function pushManifest(repository: string, body: object, tags: readonly string[] = []): Promise<Digest> {
  const bytes = Buffer.from(JSON.stringify(body));
  const checked = checkManifest(bytes, undefined);
  const digest = digestOf(bytes);
  await blobs.put(digest, Readable.from([bytes]), bytes.length);
  await meta.linkBlob(repository, digest);
  await meta.putManifest(
    repository,
    {
      digest,
      mediaType: checked.mediaType,
      size: bytes.length,
      subject: checked.subject,
      artifactType: checked.artifactType,
      configMediaType: checked.configMediaType,
    },
    tags,
    checked.blobs,
  );
  return digest;
}

function descriptor(mediaType: string, digest: Digest, size: number): object {
  return { mediaType, digest, size };
}

/** An image of a config and `layers` random layers; returns every digest it stored. */
async function pushImage(repository: string, tag: string | undefined, layers = 2, subject?: Digest) {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }),
  );
  const configDigest = await pushBlob(repository, config);
  const layerDigests: Digest[] = [];
  const layerDescs: object[] = [];
  for (let i = 0; i < layers; i++) {
    const data = randomBytes(1000 + i);
    layerDigests.push(await pushBlob(repository, data));
    layerDescs.push(descriptor(MediaType.ociLayerGzip, digestOf(data), data.length));
  }
  const manifest = await pushManifest(
    repository,
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptor(MediaType.ociConfig, configDigest, config.length),
      layers: layerDescs,
      ...(subject === undefined ? {} : { subject: descriptor(MediaType.ociManifest, subject, 10) }),
    },
    tag === undefined ? [] : [tag],
  );
  return { manifest, config: configDigest, layers: layerDigests };
}

async function stored(): Promise<Digest[]> {
  const all: StoredBlob[] = [];
  for await (const b of blobs.listBlobs()) all.push(b);
  return all.map((b) => b.digest).sort();
}

describe('collectGarbage', () => {
  it('keeps tagged images, untagged referrers and index children, and removes unreferenced blobs with their links', async () => {
    const tagged = await pushImage('team/app', 'v1');
    const referrer = await pushImage('team/app', undefined, 1, tagged.manifest);
    const child = await pushImage('team/multi', undefined, 1);
    const index = await pushManifest(
      'team/multi',
      {
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          {
            ...descriptor(MediaType.ociManifest, child.manifest, 100),
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      },
      ['latest'],
    );
    // Unreferenced: a layer whose manifest never came, linked in two repositories.
    const orphan = randomBytes(5000);
    const orphanDigest = await pushBlob('team/app', orphan);
    await meta.linkBlob('team/other', orphanDigest);
    const kept = [
      tagged.manifest,
      tagged.config,
      ...tagged.layers,
      referrer.manifest,
      referrer.config,
      ...referrer.layers,
      child.manifest,
      child.config,
      ...child.layers,
      index,
    ];

    const report = await collectGarbage(blobs, meta, OLD);

    expect(report).toMatchObject({
      dryRun: false,
      manifests: 4,
      links: 2,
      kept: 0,
      bytesFreed: orphan.length,
    });
    expect(report.blobs).toEqual([{ digest: orphanDigest, size: orphan.length, stored: true }]);
    expect(await stored()).toEqual([...new Set(kept)].sort());
    expect(await meta.hasBlobLink('team/app', orphanDigest)).toBe(false);
    expect(await meta.hasBlobLink('team/other', orphanDigest)).toBe(false);
    expect(await meta.hasBlobLink('team/app', tagged.config)).toBe(true);
    // A manifest now naming the collected blob is refused by the store, not recorded half-backed.
    await expect(
      meta.putManifest(
        'team/app',
        { digest: digestOf('late'), mediaType: MediaType.ociManifest, size: 1 },
        [],
        [orphanDigest],
      ),
    ).rejects.toMatchObject({ code: 'MANIFEST_BLOB_UNKNOWN' });
  });

  it('keeps a blob pushed within the grace period, whose manifest has not arrived yet', async () => {
    const layer = await pushBlob('team/app', randomBytes(2000));
    const young = await collectGarbage(blobs, meta, { gracePeriodSeconds: 7200 });
    expect(young).toMatchObject({ blobs: [], kept: 1, bytesFreed: 0 });
    expect(await stored()).toEqual([layer]);
    expect(await meta.hasBlobLink('team/app', layer)).toBe(true);

    const old = await collectGarbage(blobs, meta, OLD);
    expect(old.blobs.map((b) => b.digest)).toEqual([layer]);
    expect(await stored()).toEqual([]);
  });

  it('lists in a dry run what would go and removes nothing', async () => {
    const image = await pushImage('team/app', 'v1');
    const orphan = await pushBlob('team/app', randomBytes(3000));
    const session = await blobs.startUpload('team/app');
    await blobs.appendUpload('team/app', session.id, Readable.from([randomBytes(700)]));

    const report = await collectGarbage(blobs, meta, { ...OLD, dryRun: true });

    expect(report).toMatchObject({ dryRun: true, links: 1, bytesFreed: 3000 + 700 });
    expect(report.blobs).toEqual([{ digest: orphan, size: 3000, stored: true }]);
    expect(report.uploads).toEqual([{ id: session.id, repository: 'team/app', size: 700 }]);
    expect(await stored()).toEqual([image.manifest, image.config, ...image.layers, orphan].sort());
    expect((await blobs.uploadStatus('team/app', session.id)).size).toBe(700);
  });

  it('removes upload sessions and crash leftovers idle longer than the grace period, and keeps those in use', async () => {
    const session = await blobs.startUpload('team/app');
    await blobs.appendUpload('team/app', session.id, Readable.from([randomBytes(1234)]));
    const torn = '0b0a3a53-5a38-4bb1-9a8e-1c2f3e4d5a6b';
    await mkdir(path.join(dir, 'uploads', torn), { recursive: true });
    await writeFile(path.join(dir, 'uploads', torn, 'data'), randomBytes(10));

    expect((await collectGarbage(blobs, meta, { gracePeriodSeconds: 7200 })).uploads).toEqual([]);
    expect((await blobs.uploadStatus('team/app', session.id)).size).toBe(1234);

    const report = await collectGarbage(blobs, meta, OLD);
    expect(report.uploads.map((u) => u.id).sort()).toEqual([session.id, torn].sort());
    expect(report.bytesFreed).toBe(1234 + 10);
    await expect(blobs.uploadStatus('team/app', session.id)).rejects.toMatchObject({
      code: 'BLOB_UPLOAD_UNKNOWN',
    });
    const left: string[] = [];
    for await (const u of blobs.listUploads()) left.push(u.id);
    expect(left).toEqual([]);
  });

  it('keeps the blobs of a manifest recorded while it sweeps', async () => {
    // Old and unreferenced when gc marks; a manifest naming it lands between mark and sweep.
    const config = Buffer.from('{"architecture":"arm64","os":"linux"}');
    const configDigest = await pushBlob('team/app', config);
    const layer = randomBytes(4000);
    const layerDigest = await pushBlob('team/app', layer);
    let pushed: Digest | undefined;
    // The real store, whose listing first lets the manifest PUT through.
    class RacingStore extends FilesystemBlobStore {
      override async *listBlobs(): AsyncIterable<StoredBlob> {
        pushed ??= await pushManifest('team/app', {
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: descriptor(MediaType.ociConfig, configDigest, config.length),
          layers: [descriptor(MediaType.ociLayerGzip, layerDigest, layer.length)],
        });
        yield* super.listBlobs();
      }
    }
    const racing = new RacingStore(dir);

    const report = await collectGarbage(racing, meta, OLD);

    expect(pushed).toBeDefined();
    expect(report.blobs).toEqual([]);
    expect(await stored()).toEqual([configDigest, layerDigest, pushed].sort());
    expect(await meta.hasBlobLink('team/app', layerDigest)).toBe(true);
  });

  it('stops without deleting anything when a recorded manifest cannot be read', async () => {
    const image = await pushImage('team/app', 'v1');
    const orphan = await pushBlob('team/app', randomBytes(100));
    await blobs.delete(image.manifest);
    await expect(collectGarbage(blobs, meta, OLD)).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    expect(await stored()).toEqual([image.config, ...image.layers, orphan].sort());
  });
});
