import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../core/index.js';
import { MediaType } from './mediatypes.js';
import { parseManifest, resolveImage, type ContentFetcher } from './resolve.js';
import type { Descriptor } from './schema.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

function makeImage(opts: { diffIDs?: number; history?: unknown[] } = {}) {
  const layer = Buffer.from('layer-bytes');
  const diffID = digestOf('uncompressed');
  const config = json({
    architecture: 'amd64',
    os: 'linux',
    config: { User: '65532', Env: ['PATH=/bin'], Cmd: ['/app'] },
    rootfs: { type: 'layers', diff_ids: Array.from({ length: opts.diffIDs ?? 1 }, () => diffID) },
    history: opts.history ?? [{ created_by: 'ENV x=1', empty_layer: true }, { created_by: 'COPY app /app' }],
  });
  const configDesc: Descriptor = {
    mediaType: MediaType.ociConfig,
    digest: digestOf(config),
    size: config.length,
  };
  const layerDesc: Descriptor = {
    mediaType: MediaType.ociLayerGzip,
    digest: digestOf(layer),
    size: layer.length,
  };
  const manifest = json({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: configDesc,
    layers: [layerDesc],
  });
  const manifestDesc: Descriptor = {
    mediaType: MediaType.ociManifest,
    digest: digestOf(manifest),
    size: manifest.length,
    platform: { os: 'linux', architecture: 'amd64' },
  };
  const index = json({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [manifestDesc] });
  const blobs = new Map<string, Buffer>([
    [configDesc.digest, config],
    [layerDesc.digest, layer],
    [manifestDesc.digest, manifest],
  ]);
  const fetcher: ContentFetcher = {
    fetchManifest: (d) => Promise.resolve(blobs.get(d.digest) ?? Buffer.alloc(0)),
    fetchBlob: (d) => Promise.resolve(blobs.get(d.digest) ?? Buffer.alloc(0)),
    openBlob: (d) => Promise.resolve(Readable.from([blobs.get(d.digest) ?? Buffer.alloc(0)])),
  };
  return { config, manifest, index, manifestDesc, configDesc, blobs, fetcher };
}

const describeRef = (d: Digest | undefined) => `test@${d ?? 'none'}`;

describe('parseManifest', () => {
  it.each([
    [
      'schema 1 by media type',
      json({ schemaVersion: 1, name: 'x' }),
      MediaType.dockerSchema1Signed,
      'MANIFEST_UNSUPPORTED',
      /schema 1/,
    ],
    [
      'schema 1 by content',
      json({ schemaVersion: 1, name: 'x', fsLayers: [] }),
      'application/json',
      'MANIFEST_UNSUPPORTED',
      /schema 1/,
    ],
    ['not JSON', Buffer.from('{nope'), undefined, 'MANIFEST_INVALID', /not valid JSON/],
    ['no schemaVersion', json({ hello: 1 }), undefined, 'MANIFEST_INVALID', /no schemaVersion/],
    [
      'bad digest in a layer',
      json({ schemaVersion: 2, config: { mediaType: 'x', digest: 'sha256:zz', size: 1 }, layers: [] }),
      MediaType.ociManifest,
      'MANIFEST_INVALID',
      /config\.digest/,
    ],
    [
      'unknown media type',
      json({ schemaVersion: 2, mediaType: 'application/vnd.example+json', config: {}, layers: [] }),
      undefined,
      'MANIFEST_UNSUPPORTED',
      /unsupported media type/,
    ],
  ])('refuses %s', (_name, bytes, mt, code, message) => {
    expect(() => parseManifest(bytes, mt, 'sha256:test')).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(message) as unknown }) as Error,
    );
  });

  it('refuses a manifest over the size cap before parsing it', () => {
    expect(() => parseManifest(Buffer.alloc(5000, 0x20), undefined, 'big', 4096)).toThrow(
      expect.objectContaining({ code: 'MANIFEST_TOO_LARGE' }) as Error,
    );
  });

  it('recognises a Docker manifest list by content when the transport says nothing', () => {
    const r = parseManifest(json({ schemaVersion: 2, manifests: [] }), undefined, 'x');
    expect(r.kind).toBe('index');
  });
});

describe('resolveImage', () => {
  it('selects the platform from an index and pairs layers with diffIDs and non-empty history', async () => {
    const t = makeImage();
    const image = await resolveImage({
      source: 'oci',
      root: { bytes: t.index, mediaType: MediaType.ociIndex, digest: digestOf(t.index) },
      fetcher: t.fetcher,
      platform: { os: 'linux', architecture: 'amd64' },
      describe: describeRef,
    });
    expect(image.digest).toBe(t.manifestDesc.digest);
    expect(image.indexDigest).toBe(digestOf(t.index));
    expect(image.reference).toBe(`test@${t.manifestDesc.digest}`);
    expect(image.configDigest).toBe(t.configDesc.digest);
    expect(image.config.config?.User).toBe('65532');
    expect(image.layers).toHaveLength(1);
    expect(image.layers[0]?.history?.created_by).toBe('COPY app /app');
    expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('refuses a config whose bytes do not match its digest, naming the digest', async () => {
    const t = makeImage();
    t.blobs.set(t.configDesc.digest, Buffer.from(t.config.toString().replace('65532', '00000')));
    await expect(
      resolveImage({
        source: 'oci',
        root: { bytes: t.manifest, mediaType: MediaType.ociManifest, digest: t.manifestDesc.digest },
        fetcher: t.fetcher,
        describe: describeRef,
      }),
    ).rejects.toThrow(new RegExp(`image config ${t.configDesc.digest} failed verification`));
  });

  it('refuses a platform manifest whose bytes do not match the index', async () => {
    const t = makeImage();
    t.blobs.set(
      t.manifestDesc.digest,
      Buffer.from(t.manifest.toString().replace('"schemaVersion":2', '"schemaVersion":2 ')),
    );
    await expect(
      resolveImage({
        source: 'oci',
        root: { bytes: t.index, mediaType: MediaType.ociIndex, digest: digestOf(t.index) },
        fetcher: t.fetcher,
        platform: { os: 'linux', architecture: 'amd64' },
        describe: describeRef,
      }),
    ).rejects.toThrow(t.manifestDesc.digest);
  });

  it('refuses a manifest whose layer count disagrees with the config diff_ids', async () => {
    const t = makeImage({ diffIDs: 2 });
    await expect(
      resolveImage({
        source: 'oci',
        root: { bytes: t.manifest, mediaType: MediaType.ociManifest, digest: t.manifestDesc.digest },
        fetcher: t.fetcher,
        describe: describeRef,
      }),
    ).rejects.toThrow(/lists 1 layers but its config .* lists 2 diff_ids/);
  });
});
