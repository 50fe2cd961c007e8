import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import type { ManifestRecord } from './metadata-store.js';
import { SqliteMetadataStore } from './sqlite.js';

const image: ManifestRecord = {
  digest: digestOf('image'),
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  size: 500,
  artifactType: 'application/vnd.oci.image.config.v1+json',
  configMediaType: 'application/vnd.oci.image.config.v1+json',
};

function referrer(name: string, artifactType: string): ManifestRecord {
  return {
    digest: digestOf(name),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 300,
    subject: image.digest,
    artifactType,
    annotations: { 'org.example.name': name },
  };
}

let dir: string;
let store: SqliteMetadataStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-regmeta-'));
  store = SqliteMetadataStore.open(path.join(dir, 'registry.db'));
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteMetadataStore', () => {
  it('records manifests and tags, and moves a tag to a new manifest', async () => {
    await store.putManifest('team/app', image, ['v1']);
    expect(await store.resolveTag('team/app', 'v1')).toBe(image.digest);
    expect(await store.getManifest('team/app', image.digest)).toEqual(image);
    const other = { ...image, digest: digestOf('other') };
    await store.putManifest('team/app', other, ['v1']);
    expect(await store.resolveTag('team/app', 'v1')).toBe(other.digest);
    expect(await store.getManifest('team/other', image.digest)).toBeUndefined();
  });

  it('lists tags and repositories in pages after a given name', async () => {
    for (const t of ['c', 'a', 'e', 'b', 'd']) await store.putManifest('team/app', image, [t]);
    expect(await store.listTags('team/app')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await store.listTags('team/app', { n: 2 })).toEqual(['a', 'b']);
    expect(await store.listTags('team/app', { n: 2, last: 'b' })).toEqual(['c', 'd']);
    expect(await store.listTags('team/app', { n: 0 })).toEqual([]);
    for (const r of ['z/one', 'a/two', 'm/three']) await store.ensureRepository(r);
    expect(await store.listRepositories({ n: 2, last: 'a/two' })).toEqual(['m/three', 'team/app']);
  });

  it('deletes a manifest together with the tags pointing at it', async () => {
    await store.putManifest('team/app', image, ['v1']);
    await store.putManifest('team/app', image, ['latest']);
    expect(await store.deleteManifest('team/app', image.digest)).toBe(true);
    expect(await store.listTags('team/app')).toEqual([]);
    expect(await store.deleteManifest('team/app', image.digest)).toBe(false);
    expect(await store.hasRepository('team/app')).toBe(true);
  });

  it('indexes referrers by subject and filters them by artifact type', async () => {
    await store.putManifest('team/app', image, ['v1']);
    const sig = referrer('sig', 'application/vnd.dev.cosign.artifact.sig.v1+json');
    const sbom = referrer('sbom', 'application/spdx+json');
    await store.putManifest('team/app', sig);
    await store.putManifest('team/app', sbom);
    const all = await store.listReferrers('team/app', image.digest);
    expect(all.map((r) => r.digest).sort()).toEqual([sig.digest, sbom.digest].sort());
    expect(await store.listReferrers('team/app', image.digest, 'application/spdx+json')).toEqual([sbom]);
    expect(await store.listReferrers('team/other', image.digest)).toEqual([]);
  });

  it('links blobs per repository', async () => {
    const blob = digestOf('layer');
    await store.linkBlob('team/app', blob);
    expect(await store.hasBlobLink('team/app', blob)).toBe(true);
    expect(await store.hasBlobLink('team/other', blob)).toBe(false);
    expect(await store.unlinkBlob('team/app', blob)).toBe(true);
    expect(await store.unlinkBlob('team/app', blob)).toBe(false);
  });

  it('lists every recorded manifest once with the generation that each manifest write moves', async () => {
    const before = await store.listManifests();
    expect(before).toEqual({ generation: 0, manifests: [] });
    await store.putManifest('team/app', image, ['v1']);
    await store.putManifest('team/copy', image);
    const sig = referrer('sig', 'application/vnd.dev.cosign.artifact.sig.v1+json');
    await store.putManifest('team/app', sig);
    const after = await store.listManifests();
    expect(after.generation).toBe(3);
    expect(after.manifests).toEqual(
      [image, sig]
        .map((m) => ({ digest: m.digest, mediaType: m.mediaType }))
        .sort((a, b) => (a.digest < b.digest ? -1 : 1)),
    );
  });

  it('refuses a manifest whose required blobs are not linked in its repository, recording nothing', async () => {
    const layer = digestOf('layer');
    await store.linkBlob('team/other', layer);
    await expect(store.putManifest('team/app', image, ['v1'], [layer])).rejects.toMatchObject({
      code: 'MANIFEST_BLOB_UNKNOWN',
    });
    expect(await store.getManifest('team/app', image.digest)).toBeUndefined();
    expect((await store.listManifests()).generation).toBe(0);
    await store.linkBlob('team/app', layer);
    await store.putManifest('team/app', image, ['v1'], [layer]);
    expect(await store.resolveTag('team/app', 'v1')).toBe(image.digest);
  });

  it('lists linked digests with their link count and the latest link time, refreshed by linking again', async () => {
    const layer = digestOf('layer');
    await store.linkBlob('team/app', layer);
    const [first] = await store.listLinkedDigests();
    await new Promise((r) => setTimeout(r, 5));
    await store.linkBlob('team/other', layer);
    await store.linkBlob('team/app', layer);
    const [again] = await store.listLinkedDigests();
    expect(again?.digest).toBe(layer);
    expect(again?.links).toBe(2);
    expect(again?.lastLinkedAt.getTime()).toBeGreaterThan(first?.lastLinkedAt.getTime() ?? Infinity);
  });

  it('releases a blob from every repository only when no manifest arrived, it is no manifest and no link is recent', async () => {
    const layer = digestOf('layer');
    await store.linkBlob('team/app', layer);
    await store.linkBlob('team/other', layer);
    const { generation } = await store.listManifests();
    // Linked after the cutoff: kept.
    expect(await store.releaseBlob(layer, { generation, linkedBefore: new Date(0) })).toEqual({
      kind: 'kept',
    });
    // A manifest recorded since the inventory: stale, nothing removed.
    await store.putManifest('team/app', image);
    const stale = await store.releaseBlob(layer, { generation, linkedBefore: new Date(Date.now() + 60_000) });
    expect(stale).toEqual({ kind: 'stale', generation: generation + 1 });
    expect(await store.hasBlobLink('team/app', layer)).toBe(true);
    // A recorded manifest's own digest is never released.
    await store.linkBlob('team/app', image.digest);
    expect(
      await store.releaseBlob(image.digest, {
        generation: generation + 1,
        linkedBefore: new Date(Date.now() + 60_000),
      }),
    ).toEqual({ kind: 'kept' });
    expect(
      await store.releaseBlob(layer, {
        generation: generation + 1,
        linkedBefore: new Date(Date.now() + 60_000),
      }),
    ).toEqual({ kind: 'released', links: 2 });
    expect(await store.hasBlobLink('team/app', layer)).toBe(false);
    expect(await store.hasBlobLink('team/other', layer)).toBe(false);
  });

  it('keeps what it recorded across a reopen and passes an integrity check', async () => {
    await store.putManifest('team/app', image, ['v1']);
    await store.close();
    store = SqliteMetadataStore.open(path.join(dir, 'registry.db'));
    expect(await store.resolveTag('team/app', 'v1')).toBe(image.digest);
    expect(store.integrityCheck()).toBe('ok');
  });
});
