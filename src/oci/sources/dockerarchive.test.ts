import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LayeredImage } from '../image.js';
import { MediaType } from '../mediatypes.js';
import {
  DockerArchiveSource,
  DOCKER_LAYER_TAR,
  selectDockerArchiveItem,
  type DockerArchiveSelector,
} from './dockerarchive.js';
import { listTree, readAll, tempDir, writeTar, type TarSpec } from '../../testing/source-helpers.js';

let work: string;
let n = 0;
beforeAll(async () => {
  work = await tempDir('portcullis-docker-archive-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A real layer tar (GNU tar) holding one file. */
async function layerTar(fileName: string, content: string): Promise<Buffer> {
  const dir = path.join(work, `layer-src-${n++}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, fileName), content);
  return execFileSync('tar', ['-C', dir, '-cf', '-', fileName]);
}

function configFor(diffIDs: readonly string[]): string {
  return JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: diffIDs },
  });
}

/** `docker save` legacy layout: <id>/layer.tar plus <hex>.json config and manifest.json. */
async function legacyArchive(opts: {
  layers: Buffer[];
  diffIDs?: string[];
  repoTags?: string[];
  manifest?: (m: { Config: string; RepoTags: string[]; Layers: string[] }[]) => unknown;
  extra?: TarSpec[];
}): Promise<string> {
  const config = configFor(opts.diffIDs ?? opts.layers.map(sha256));
  const configName = `${sha256(config).slice(7)}.json`;
  const entries: TarSpec[] = [{ name: configName, content: config }];
  const layerNames = opts.layers.map((l, i) => {
    entries.push({ name: `id${i}/layer.tar`, content: l });
    return `id${i}/layer.tar`;
  });
  const manifest = [
    { Config: configName, RepoTags: opts.repoTags ?? ['example.com/app:1'], Layers: layerNames },
  ];
  const custom = opts.manifest ? opts.manifest(manifest) : manifest;
  entries.push(
    { name: 'manifest.json', content: Buffer.isBuffer(custom) ? custom : JSON.stringify(custom) },
    ...(opts.extra ?? []),
  );
  const file = path.join(work, `legacy-${n++}.tar`);
  await writeTar(file, entries);
  return file;
}

async function openImage(
  file: string,
  selector?: DockerArchiveSelector,
  cacheDir = path.join(work, 'cache'),
): Promise<{ image: LayeredImage; source: DockerArchiveSource }> {
  const source = new DockerArchiveSource(file, selector, { cacheDir });
  return { image: await source.open(), source };
}

describe('docker-archive: legacy docker save layout', () => {
  it('synthesizes a manifest whose uncompressed layers are addressed by their diffIDs and verified while streaming', async () => {
    const l0 = await layerTar('a.txt', 'a');
    const l1 = await layerTar('b.txt', 'b');
    const file = await legacyArchive({ layers: [l0, l1] });
    const { image, source } = await openImage(file);
    expect(image.digest).toBeUndefined();
    expect(image.mediaType).toBe(MediaType.dockerManifest);
    expect(image.manifest.config.mediaType).toBe(MediaType.dockerConfig);
    expect(image.reference).toBe(`docker-archive:${file}`);
    expect(image.layers.map((l) => [l.descriptor.mediaType, l.descriptor.digest, l.descriptor.size])).toEqual(
      [
        [DOCKER_LAYER_TAR, sha256(l0), l0.length],
        [DOCKER_LAYER_TAR, sha256(l1), l1.length],
      ],
    );
    const first = image.layers[0];
    if (first === undefined) throw new Error('no layer');
    expect((await readAll(await first.open())).equals(l0)).toBe(true);
    await source.close();
  });

  it('fails reading a layer whose bytes do not match its diffID with DIGEST_MISMATCH naming it', async () => {
    const good = await layerTar('a.txt', 'a');
    const other = await layerTar('a.txt', 'b');
    const file = await legacyArchive({ layers: [other], diffIDs: [sha256(good)] });
    const { image } = await openImage(file);
    const layer = image.layers[0];
    if (layer === undefined) throw new Error('no layer');
    await expect(readAll(await layer.open())).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(sha256(good)) as unknown,
    });
  });

  it('hashes compressed layers that are not stored under blobs/', async () => {
    const raw = await layerTar('a.txt', 'a');
    const gz = gzipSync(raw);
    const file = await legacyArchive({ layers: [gz], diffIDs: [sha256(raw)] });
    const { image } = await openImage(file);
    expect(image.layers[0]?.descriptor).toEqual({
      mediaType: MediaType.dockerLayerGzip,
      digest: sha256(gz),
      size: gz.length,
    });
    expect(image.layers[0]?.diffID).toBe(sha256(raw));
  });

  it('selects among several images by repository tag (normalized like docker) or by position', async () => {
    const l0 = await layerTar('a.txt', 'a');
    const file = await legacyArchive({
      layers: [l0],
      manifest: (m) => [...m, { ...m[0], RepoTags: ['docker.io/library/alpine:3.10'] }],
    });
    await expect(openImage(file)).rejects.toMatchObject({ code: 'TARGET_INVALID' });
    expect((await openImage(file, { kind: 'reference', reference: 'alpine:3.10' })).image.reference).toBe(
      `docker-archive:${file}:alpine:3.10`,
    );
    expect((await openImage(file, { kind: 'index', index: 1 })).image.reference).toBe(
      `docker-archive:${file}@1`,
    );
    await expect(openImage(file, { kind: 'index', index: 2 })).rejects.toMatchObject({
      code: 'MANIFEST_UNKNOWN',
    });
  });

  it.each([
    {
      what: 'a manifest.json that is not JSON',
      manifest: () => Buffer.from('[{'),
      code: 'ARCHIVE_INVALID',
      message: /manifest\.json is not valid JSON/,
    },
    {
      what: 'a manifest.json that is not a list',
      manifest: () => ({ Config: 'x' }),
      code: 'ARCHIVE_INVALID',
      message: /manifest\.json is malformed: \(root\)/,
    },
    {
      what: 'a manifest.json without Config',
      manifest: () => [{ Layers: [] }],
      code: 'ARCHIVE_INVALID',
      message: /manifest\.json is malformed: 0\.Config/,
    },
    {
      what: 'an empty manifest.json',
      manifest: () => [],
      code: 'ARCHIVE_INVALID',
      message: /manifest\.json lists no images/,
    },
    {
      what: 'a config path climbing out of the archive',
      manifest: (m: { Config: string; Layers: string[] }[]) => [
        { ...m[0], Config: '../../../../etc/passwd' },
      ],
      code: 'ARCHIVE_INVALID',
      message: /path "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" escapes it/,
    },
    {
      what: 'a layer path climbing out of the archive',
      manifest: (m: { Config: string; Layers: string[] }[]) => [
        { ...m[0], Layers: ['id0/../../outside.tar'] },
      ],
      code: 'ARCHIVE_INVALID',
      message: /escapes it/,
    },
    {
      what: 'a missing layer file',
      manifest: (m: { Config: string; Layers: string[] }[]) => [{ ...m[0], Layers: ['nope/layer.tar'] }],
      code: 'BLOB_UNKNOWN',
      message: /layer "nope\/layer\.tar" listed in manifest\.json is missing from the archive/,
    },
    {
      what: 'more layers than diff_ids',
      manifest: (m: { Config: string; Layers: string[] }[]) => [
        { ...m[0], Layers: ['id0/layer.tar', 'id0/layer.tar'] },
      ],
      code: 'ARCHIVE_INVALID',
      message: /manifest\.json lists 2 layers but its config sha256:[a-f0-9]{64} lists 1 diff_ids/,
    },
  ])('refuses $what with $code', async ({ manifest, code, message }) => {
    const file = await legacyArchive({ layers: [await layerTar('a.txt', 'a')], manifest });
    await expect(openImage(file)).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message) as unknown,
    });
  });

  it('refuses an archive with a ../ entry without reading or writing outside it', async () => {
    const sandbox = path.join(work, `sandbox-${n++}`);
    await mkdir(sandbox);
    const file = path.join(sandbox, 'evil.tar');
    const l0 = await layerTar('a.txt', 'a');
    await writeTar(file, [
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['../evil'] }]) },
      { name: 'c.json', content: configFor([sha256(l0)]) },
      { name: '../evil', content: l0 },
    ]);
    await writeFile(path.join(work, 'evil'), 'outside the sandbox: must never be read');
    await expect(openImage(file, undefined, path.join(sandbox, 'cache'))).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringMatching(/entry "\.\.\/evil" is refused/) as unknown,
    });
    expect(await listTree(sandbox)).toEqual(['evil.tar']);
  });

  it('resolves an absolute layer symlink inside the archive, never on the host', async () => {
    const l0 = await layerTar('a.txt', 'a');
    const file = await legacyArchive({
      layers: [l0],
      extra: [{ name: 'id0/layer.tar', type: 'symlink', linkname: '/etc/hostname' }],
    });
    await expect(openImage(file)).rejects.toMatchObject({
      code: 'BLOB_UNKNOWN',
      message: expect.stringContaining('id0/layer.tar') as unknown,
    });
  });

  it('refuses a truncated archive with ARCHIVE_INVALID', async () => {
    const file = await legacyArchive({ layers: [await layerTar('big.bin', 'x'.repeat(20_000))] });
    await truncate(file, 4096);
    await expect(openImage(file)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringMatching(/is truncated/) as unknown,
    });
  });

  it('refuses xz-compressed layers with LAYER_INVALID', async () => {
    const stub = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(100)]);
    const file = await legacyArchive({ layers: [stub] });
    await expect(openImage(file)).rejects.toMatchObject({
      code: 'LAYER_INVALID',
      message: expect.stringMatching(/id0\/layer\.tar is xz-compressed/) as unknown,
    });
  });

  it('decompresses a gzip docker archive under the cache directory only, and removes it on close', async () => {
    const sandbox = path.join(work, `gz-sandbox-${n++}`);
    await mkdir(sandbox);
    const plain = await legacyArchive({ layers: [await layerTar('a.txt', 'a')] });
    const file = path.join(sandbox, 'image.tar.gz');
    await writeFile(file, gzipSync(await readFile(plain)));
    const cacheDir = path.join(sandbox, 'cache');
    const { image, source } = await openImage(file, undefined, cacheDir);
    expect((await listTree(path.join(cacheDir, 'tmp'))).length).toBe(1);
    const layer = image.layers[0];
    if (layer === undefined) throw new Error('no layer');
    await readAll(await layer.open());
    await source.close();
    expect(await listTree(sandbox)).toEqual(['cache', 'cache/tmp', 'image.tar.gz']);
  });
});

describe('docker-archive: Docker 25+ layout (OCI blobs plus manifest.json)', () => {
  async function docker25(
    withIndexEntry: boolean,
  ): Promise<{ file: string; manifestDigest: string; configDigest: string }> {
    const raw = await layerTar('a.txt', 'a');
    const layer = gzipSync(raw);
    const config = configFor([sha256(raw)]);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: sha256(layer), size: layer.length }],
    });
    const blob = (b: Buffer | string): string => `blobs/sha256/${sha256(b).slice(7)}`;
    // What Docker 25 writes when it has no OCI manifest to list: `"manifests": null`.
    const index = withIndexEntry
      ? JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociIndex,
          manifests: [{ mediaType: MediaType.ociManifest, digest: sha256(manifest), size: manifest.length }],
        })
      : `{"schemaVersion":2,"mediaType":"${MediaType.ociIndex}","manifests":null}`;
    const file = path.join(work, `docker25-${n++}.tar`);
    await writeTar(file, [
      { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', content: index },
      { name: blob(config), content: config },
      { name: blob(layer), content: layer },
      { name: blob(manifest), content: manifest },
      {
        name: 'manifest.json',
        content: JSON.stringify([{ Config: blob(config), RepoTags: ['app:1'], Layers: [blob(layer)] }]),
      },
    ]);
    return { file, manifestDigest: sha256(manifest), configDigest: sha256(config) };
  }

  it('uses the saved OCI manifest when index.json leads to it, keeping the manifest digest', async () => {
    const { file, manifestDigest, configDigest } = await docker25(true);
    const { image } = await openImage(file);
    expect(image.digest).toBe(manifestDigest);
    expect(image.configDigest).toBe(configDigest);
    expect(image.reference).toBe(`docker-archive:${file}@${manifestDigest}`);
    expect(image.layers[0]?.descriptor.mediaType).toBe(MediaType.ociLayerGzip);
    const layer = image.layers[0];
    if (layer === undefined) throw new Error('no layer');
    await readAll(await layer.open());
  });

  it('synthesizes the manifest when index.json lists none, taking layer digests from blob paths', async () => {
    const { file, configDigest } = await docker25(false);
    const { image } = await openImage(file);
    expect(image.digest).toBeUndefined();
    expect(image.configDigest).toBe(configDigest);
    expect(image.layers[0]?.descriptor.mediaType).toBe(MediaType.dockerLayerGzip);
    const layer = image.layers[0];
    if (layer === undefined) throw new Error('no layer');
    expect((await readAll(await layer.open())).length).toBe(layer.descriptor.size);
  });
});

describe('selectDockerArchiveItem', () => {
  const items = [
    { RepoTags: ['docker.io/library/alpine:3.10'] },
    { RepoTags: ['localhost:5000/team/app:latest', 'other:2'] },
    { RepoTags: [] },
  ];
  it.each([
    { selector: { kind: 'reference', reference: 'alpine:3.10' }, index: 0 },
    { selector: { kind: 'reference', reference: 'docker.io/library/alpine:3.10' }, index: 0 },
    { selector: { kind: 'reference', reference: 'localhost:5000/team/app' }, index: 1 },
    { selector: { kind: 'reference', reference: 'docker.io/library/other:2' }, index: 1 },
    { selector: { kind: 'index', index: 2 }, index: 2 },
  ] as const)('finds $selector', ({ selector, index }) => {
    expect(selectDockerArchiveItem(items, selector, 'A').index).toBe(index);
  });

  it('lists what is available when nothing matches', () => {
    expect(() => selectDockerArchiveItem(items, { kind: 'reference', reference: 'alpine' }, 'A')).toThrow(
      /A has no image tagged alpine \(available: @0 \(docker\.io\/library\/alpine:3\.10\), @1 \(localhost:5000\/team\/app:latest, other:2\), @2\)/,
    );
  });
});
