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

  it('keeps what it recorded across a reopen and passes an integrity check', async () => {
    await store.putManifest('team/app', image, ['v1']);
    await store.close();
    store = SqliteMetadataStore.open(path.join(dir, 'registry.db'));
    expect(await store.resolveTag('team/app', 'v1')).toBe(image.digest);
    expect(store.integrityCheck()).toBe('ok');
  });
});
