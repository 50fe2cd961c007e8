import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Digest } from '../../core/index.js';
import type { LayeredImage } from '../image.js';
import type { Descriptor } from '../schema.js';
import { OciArchiveSource } from './archive.js';
import { blobPath, OciLayoutSource, selectLayoutEntry } from './layout.js';
import { RootfsSource } from './rootfs.js';
import { listTree, readAll, tempDir } from '../../testing/source-helpers.js';

// A tiny real layout built by hand (one gzip layer), so these tests need no fixtures or tools.
const AMD64 = { os: 'linux', architecture: 'amd64' } as const;
let work: string;
let pristine: string;
let layerDigest: string;
let configDigest: string;
let manifestDigest: string;

function sha256(data: Buffer | string): string {
  return `sha256:${execFileSync('sha256sum', { input: data }).toString().slice(0, 64)}`;
}

async function writeBlob(dir: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  await writeFile(path.join(dir, 'blobs', 'sha256', digest.slice(7)), data);
  return { digest, size: Buffer.byteLength(data) };
}

beforeAll(async () => {
  work = await tempDir('portcullis-layout-');
  pristine = path.join(work, 'pristine');
  await mkdir(path.join(pristine, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(pristine, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const src = path.join(work, 'rootfs');
  await mkdir(path.join(src, 'etc'), { recursive: true });
  await writeFile(path.join(src, 'etc', 'os-release'), 'ID=test\n');
  const layerTar = execFileSync('tar', ['-C', src, '-cf', '-', 'etc']);
  const layer = await writeBlob(pristine, gzipSync(layerTar));
  const config = await writeBlob(
    pristine,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
      history: [{ created_by: 'test' }],
    }),
  );
  const manifest = await writeBlob(
    pristine,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }),
  );
  await writeFile(
    path.join(pristine, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': 'v1' },
        },
      ],
    }),
  );
  layerDigest = layer.digest;
  configDigest = config.digest;
  manifestDigest = manifest.digest;
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let dir: string;
let counter = 0;
beforeEach(async () => {
  dir = path.join(work, `copy-${counter++}`);
  await cp(pristine, dir, { recursive: true });
});

const blobFile = (d: string, digest: string): string => path.join(d, 'blobs', 'sha256', digest.slice(7));

async function openLayered(source: OciLayoutSource | OciArchiveSource): Promise<LayeredImage> {
  return source.open({ platform: AMD64 });
}

describe('oci: layout directories', () => {
  it('opens the image by tag, and without a tag when it is the only one', async () => {
    for (const tag of ['v1', undefined]) {
      const image = await openLayered(new OciLayoutSource(dir, tag));
      expect(image.configDigest).toBe(configDigest);
      expect(image.digest).toBe(manifestDigest);
      expect(image.reference).toBe(`oci:${dir}${tag !== undefined ? `:${tag}` : ''}@${manifestDigest}`);
      expect(image.layers[0]?.history?.created_by).toBe('test');
      const layer = image.layers[0];
      if (layer === undefined) throw new Error('no layer');
      // Each open() is a fresh stream.
      const [a, b] = await Promise.all([layer.open().then(readAll), layer.open().then(readAll)]);
      expect(a.equals(b)).toBe(true);
    }
  });

  it('fails reading a corrupted layer with DIGEST_MISMATCH naming the digest', async () => {
    const file = blobFile(dir, layerDigest);
    const bytes = await readFile(file);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    const image = await openLayered(new OciLayoutSource(dir, 'v1'));
    const stream = await image.layers[0]?.open();
    if (stream === undefined) throw new Error('no layer');
    await expect(readAll(stream)).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(layerDigest) as unknown,
    });
  });

  it('fails reading a shortened layer with SIZE_MISMATCH', async () => {
    const file = blobFile(dir, layerDigest);
    await writeFile(file, (await readFile(file)).subarray(0, 20));
    const image = await openLayered(new OciLayoutSource(dir, 'v1'));
    const stream = await image.layers[0]?.open();
    if (stream === undefined) throw new Error('no layer');
    await expect(readAll(stream)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
  });

  it('reports a missing layer blob as BLOB_UNKNOWN naming digest and path, when the layer is opened', async () => {
    await unlink(blobFile(dir, layerDigest));
    const image = await openLayered(new OciLayoutSource(dir, 'v1'));
    await expect(image.layers[0]?.open()).rejects.toMatchObject({
      code: 'BLOB_UNKNOWN',
      message: expect.stringContaining(
        `layer ${layerDigest} is missing: no file blobs/sha256/${layerDigest.slice(7)}`,
      ) as unknown,
    });
  });

  it.each([
    {
      what: 'a missing config blob',
      change: (d: string) => unlink(blobFile(d, configDigest)),
      code: 'BLOB_UNKNOWN',
      message: /blob sha256:[a-f0-9]{64} is missing/,
    },
    {
      what: 'a tampered manifest blob',
      change: (d: string) => writeFile(blobFile(d, manifestDigest), '{"schemaVersion":2}'.padEnd(300)),
      code: 'MANIFEST_INVALID',
      message: /wrong size|failed verification/,
    },
    {
      what: 'no oci-layout file',
      change: (d: string) => unlink(path.join(d, 'oci-layout')),
      code: 'SOURCE_INVALID',
      message: /is not an OCI image layout: it has no oci-layout file/,
    },
    {
      what: 'a layout version 2',
      change: (d: string) => writeFile(path.join(d, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}'),
      code: 'SOURCE_INVALID',
      message: /unsupported OCI layout version "2\.0\.0"/,
    },
    {
      what: 'no index.json',
      change: (d: string) => unlink(path.join(d, 'index.json')),
      code: 'SOURCE_INVALID',
      message: /index\.json is missing/,
    },
    {
      what: 'an index.json that is not JSON',
      change: (d: string) => writeFile(path.join(d, 'index.json'), '{'),
      code: 'SOURCE_INVALID',
      message: /index\.json is not valid JSON/,
    },
    {
      what: 'an index.json digest that would climb out of blobs/',
      change: (d: string) =>
        writeFile(
          path.join(d, 'index.json'),
          JSON.stringify({
            schemaVersion: 2,
            manifests: [{ mediaType: 'x', digest: 'sha256:../../../../etc/passwd', size: 1 }],
          }),
        ),
      code: 'SOURCE_INVALID',
      message: /index\.json is malformed: manifests\.0\.digest: invalid digest/,
    },
  ])('refuses $what with $code', async ({ change, code, message }) => {
    await change(dir);
    await expect(openLayered(new OciLayoutSource(dir, 'v1'))).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message) as unknown,
    });
  });

  it('follows a blob symlink that stays inside the layout', async () => {
    const file = blobFile(dir, layerDigest);
    await cp(file, path.join(dir, 'elsewhere'));
    await unlink(file);
    await symlink('../../elsewhere', file);
    const image = await openLayered(new OciLayoutSource(dir, 'v1'));
    const stream = await image.layers[0]?.open();
    if (stream === undefined) throw new Error('no layer');
    expect((await readAll(stream)).length).toBe(image.layers[0]?.descriptor.size);
  });

  it('refuses a blob symlink pointing outside the layout', async () => {
    const outside = path.join(work, `outside-${counter}`);
    const file = blobFile(dir, configDigest);
    await cp(file, outside);
    await unlink(file);
    await symlink(outside, file);
    await expect(openLayered(new OciLayoutSource(dir, 'v1'))).rejects.toMatchObject({
      code: 'SOURCE_INVALID',
      message: expect.stringMatching(/is a symlink pointing outside the layout .*refused/) as unknown,
    });
  });

  it('reports a blob symlink loop as SOURCE_INVALID instead of a raw I/O error', async () => {
    const file = blobFile(dir, configDigest);
    await unlink(file);
    await symlink(path.basename(file), file);
    await expect(openLayered(new OciLayoutSource(dir, 'v1'))).rejects.toMatchObject({
      code: 'SOURCE_INVALID',
      message: expect.stringMatching(/cannot read blobs\/sha256\/[a-f0-9]{64}: .*ELOOP/) as unknown,
    });
  });

  it.each([
    { what: 'a missing directory', target: () => path.join(work, 'nope'), message: /does not exist/ },
    {
      what: 'a file',
      target: () => path.join(dir, 'index.json'),
      message: /is not a directory \(for an archive file use oci-archive:/,
    },
  ])('refuses $what with SOURCE_INVALID', async ({ target, message }) => {
    await expect(openLayered(new OciLayoutSource(target(), undefined))).rejects.toMatchObject({
      code: 'SOURCE_INVALID',
      message: expect.stringMatching(message) as unknown,
    });
  });
});

describe('selectLayoutEntry', () => {
  const d = (n: number, extra: Partial<Descriptor>): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${String(n).repeat(64)}` as Digest,
    size: 1,
    ...extra,
  });
  const tagged = (n: number, tag: string, platform?: Descriptor['platform']): Descriptor =>
    d(n, { annotations: { 'org.opencontainers.image.ref.name': tag }, ...(platform ? { platform } : {}) });

  it('tells same-tag entries apart by platform', () => {
    const entries = [
      tagged(1, 'x', { os: 'linux', architecture: 'arm64' }),
      tagged(2, 'x', { os: 'linux', architecture: 'amd64' }),
    ];
    expect(selectLayoutEntry(entries, 'x', AMD64, 'L').digest).toBe(entries[1]?.digest);
  });

  it('picks among untagged platform entries by platform', () => {
    const entries = [
      d(1, { platform: { os: 'linux', architecture: 'arm64' } }),
      d(2, { platform: { os: 'linux', architecture: 'amd64' } }),
    ];
    expect(selectLayoutEntry(entries, undefined, { os: 'linux', architecture: 'arm64' }, 'L').digest).toBe(
      entries[0]?.digest,
    );
  });

  it.each([
    {
      what: 'an empty layout',
      entries: [],
      tag: undefined,
      code: 'MANIFEST_UNKNOWN',
      message: /L holds no images/,
    },
    {
      what: 'an unknown tag',
      entries: [tagged(1, 'a'), d(2, {})],
      tag: 'b',
      code: 'MANIFEST_UNKNOWN',
      message: /no image tagged "b" \(available tags: a; 1 untagged\)/,
    },
    {
      what: 'several images and no tag',
      entries: [tagged(1, 'a'), tagged(2, 'b')],
      tag: undefined,
      code: 'TARGET_INVALID',
      message: /L holds 2 images; .*tags: a, b/,
    },
  ])('refuses $what with $code', ({ entries, tag, code, message }) => {
    expect(() => selectLayoutEntry(entries, tag, AMD64, 'L')).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(message) as unknown }),
    );
  });
});

describe('blobPath', () => {
  it('maps a digest to blobs/<alg>/<hex>', () => {
    expect(blobPath(`sha512:${'ab'.repeat(64)}` as Digest)).toBe(`blobs/sha512/${'ab'.repeat(64)}`);
  });

  it('refuses a string that is not a digest, so it can never become a path', () => {
    expect(() => blobPath('sha256:../../x' as Digest)).toThrow(
      expect.objectContaining({ code: 'BLOB_UNKNOWN' }),
    );
  });
});

describe('oci-archive: layout tarballs', () => {
  it('opens a tar of the layout and a gzip of it the same way, removing the decompressed copy on close', async () => {
    const tarFile = path.join(work, `layout-${counter}.tar`);
    execFileSync('tar', ['-C', dir, '-cf', tarFile, '.']);
    const gzFile = `${tarFile}.gz`;
    await writeFile(gzFile, gzipSync(await readFile(tarFile)));
    const cacheDir = path.join(work, `cache-${counter}`);
    for (const file of [tarFile, gzFile]) {
      const source = new OciArchiveSource(file, 'v1', { cacheDir });
      const image = await openLayered(source);
      expect(image.configDigest).toBe(configDigest);
      expect(image.digest).toBe(manifestDigest);
      expect(image.reference).toBe(`oci-archive:${file}:v1@${manifestDigest}`);
      const stream = await image.layers[0]?.open();
      if (stream === undefined) throw new Error('no layer');
      expect((await readAll(stream)).length).toBe(image.layers[0]?.descriptor.size);
      await source.close();
      await source.close();
    }
    expect(await listTree(cacheDir)).toEqual(['tmp']);
  });

  it('fails reading a corrupted layer in an archive with DIGEST_MISMATCH naming the digest', async () => {
    const file = blobFile(dir, layerDigest);
    const bytes = await readFile(file);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    const tarFile = path.join(work, `corrupt-${counter}.tar`);
    execFileSync('tar', ['-C', dir, '-cf', tarFile, '.']);
    const source = new OciArchiveSource(tarFile, undefined, { cacheDir: path.join(work, 'unused-cache') });
    const image = await openLayered(source);
    const stream = await image.layers[0]?.open();
    if (stream === undefined) throw new Error('no layer');
    await expect(readAll(stream)).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(layerDigest) as unknown,
    });
    await source.close();
  });

  it('refuses a blob entry that is a symlink leaving the archive', async () => {
    const tarFile = path.join(work, `evil-link-${counter}.tar`);
    await unlink(blobFile(dir, configDigest));
    await symlink('../../../../../etc/hostname', blobFile(dir, configDigest));
    execFileSync('tar', ['-C', dir, '-cf', tarFile, '.']);
    const source = new OciArchiveSource(tarFile, 'v1', { cacheDir: path.join(work, 'unused-cache') });
    await expect(openLayered(source)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringMatching(/link .* is refused/) as unknown,
    });
  });
});

describe('rootfs: directories', () => {
  it('gives the absolute path of the directory', async () => {
    const image = await new RootfsSource(path.relative(process.cwd(), dir)).open();
    expect(image).toEqual({ kind: 'rootfs', source: 'rootfs', reference: `rootfs:${dir}`, root: dir });
  });

  it.each([
    { what: 'a missing directory', target: () => path.join(work, 'nope'), message: /does not exist/ },
    { what: 'a file', target: () => path.join(dir, 'oci-layout'), message: /is not a directory/ },
  ])('refuses $what with SOURCE_INVALID', async ({ target, message }) => {
    await expect(new RootfsSource(target()).open()).rejects.toMatchObject({
      code: 'SOURCE_INVALID',
      message: expect.stringMatching(message) as unknown,
    });
  });
});
