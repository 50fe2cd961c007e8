import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../core/index.js';
import {
  addIndexToLayout,
  buildTestImages,
  layoutDescriptor,
  pushLayoutTag,
  readLayoutBlob,
} from '../../testing/oci-images.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import { BlobCache } from '../cache.js';
import type { Image, LayeredImage } from '../image.js';
import { RegistryClient } from '../registry/client.js';
import { imageManifestSchema } from '../schema.js';
import { RegistryImageSource } from './registry.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function layered(image: Image): LayeredImage {
  if (image.kind !== 'layered') throw new Error('expected a layered image');
  return image;
}

const fast = { retryDelayMs: { base: 10, max: 2000 } } as const;

let registry: TestRegistry;
let work: string;
let layout: string;
let armDigest: string;
let indexDigest: string;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-regsource-test-'));
  layout = path.join(work, 'layout');
  await buildTestImages(
    layout,
    [
      {
        tag: 'amd',
        files: { 'etc/arch': 'amd64\n', 'bin/tool': randomBytes(8192) },
        architecture: 'amd64',
        os: 'linux',
      },
      {
        tag: 'arm',
        files: { 'etc/arch': 'arm64\n', 'bin/tool': randomBytes(8192) },
        architecture: 'arm64',
        os: 'linux',
      },
      { tag: 'bad', files: { 'etc/bad': randomBytes(8192) } },
    ],
    work,
  );
  indexDigest = (
    await addIndexToLayout(layout, 'multi', [
      { tag: 'amd', platform: { os: 'linux', architecture: 'amd64' } },
      { tag: 'arm', platform: { os: 'linux', architecture: 'arm64' } },
    ])
  ).digest;
  armDigest = (await layoutDescriptor(layout, 'arm')).digest;
  await pushLayoutTag(layout, 'multi', `${registry.host}/test/app:multi`, { all: true });
  await pushLayoutTag(layout, 'bad', `${registry.host}/test/bad:1`);
});

afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('RegistryImageSource', () => {
  it('selects the requested platform from an index and names the resolved digest', async () => {
    const client = new RegistryClient(fast);
    const source = new RegistryImageSource(
      { registry: registry.host, repository: 'test/app', tag: 'multi' },
      { client },
    );
    const image = layered(await source.open({ platform: { os: 'linux', architecture: 'arm64' } }));
    expect(image.source).toBe('docker');
    expect(image.digest).toBe(armDigest);
    expect(image.indexDigest).toBe(indexDigest);
    expect(image.platform).toMatchObject({ os: 'linux', architecture: 'arm64' });
    expect(image.reference).toBe(`${registry.host}/test/app:multi@${armDigest}`);
    expect(image.config.architecture).toBe('arm64');
    await source.close();
    client.close();
  });

  it('reports a platform the index does not offer', async () => {
    const client = new RegistryClient(fast);
    const source = new RegistryImageSource(
      { registry: registry.host, repository: 'test/app', tag: 'multi' },
      { client },
    );
    await expect(source.open({ platform: { os: 'linux', architecture: 's390x' } })).rejects.toMatchObject({
      code: 'PLATFORM_NOT_FOUND',
    });
    client.close();
  });

  it('downloads a layer into the cache once; later runs read it from the cache', async () => {
    const cacheDir = path.join(work, 'cache-reuse');
    const ref = { registry: registry.host, repository: 'test/app', tag: 'multi' };
    const want = imageManifestSchema.parse(
      JSON.parse((await readLayoutBlob(layout, armDigest)).toString('utf8')),
    ).layers;

    const blobGets = async (): Promise<string[]> => {
      const logger = createMemoryLogger();
      const client = new RegistryClient({ ...fast, logger });
      const source = new RegistryImageSource(ref, {
        client,
        cache: new BlobCache({ dir: cacheDir }),
        platform: { os: 'linux', architecture: 'arm64' },
      });
      const image = layered(await source.open());
      for (const layer of image.layers) {
        const bytes = await readAll(await layer.open());
        expect(bytes.equals(await readLayoutBlob(layout, layer.descriptor.digest))).toBe(true);
      }
      await source.close();
      client.close();
      return logger.entries
        .filter((e) => e.msg === 'registry response' && String(e.fields?.['path']).includes('/blobs/'))
        .map((e) => String(e.fields?.['path']));
    };

    const first = await blobGets();
    for (const l of want) expect(first.some((p) => p.endsWith(l.digest))).toBe(true);
    const second = await blobGets();
    for (const l of want) expect(second.some((p) => p.endsWith(l.digest))).toBe(false);
    for (const l of want) expect(await new BlobCache({ dir: cacheDir }).has(l.digest, l.size)).toBe(true);
  });

  it('fails a corrupted layer naming its digest, and caches nothing of it', async () => {
    const cacheDir = path.join(work, 'cache-corrupt');
    const badManifest = imageManifestSchema.parse(
      JSON.parse(
        (await readLayoutBlob(layout, (await layoutDescriptor(layout, 'bad')).digest)).toString('utf8'),
      ),
    );
    const layer = badManifest.layers[0];
    if (layer === undefined) throw new Error('no layer');
    await writeFile(registry.blobDataPath(layer.digest), randomBytes(layer.size));

    const client = new RegistryClient(fast);
    const cache = new BlobCache({ dir: cacheDir });
    const source = new RegistryImageSource(
      { registry: registry.host, repository: 'test/bad', tag: '1' },
      { client, cache },
    );
    const image = layered(await source.open());
    const opened = image.layers[0]?.open().then(readAll);
    await expect(opened).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(layer.digest) as unknown,
    });
    expect(await cache.has(layer.digest)).toBe(false);
    expect(await readdir(path.join(cacheDir, 'sha256'))).toEqual([]);
    await source.close();
    client.close();
  });

  it('streams layers straight from the registry when no cache is given', async () => {
    const client = new RegistryClient(fast);
    const source = new RegistryImageSource(
      { registry: registry.host, repository: 'test/app', tag: 'multi' },
      { client, platform: { os: 'linux', architecture: 'amd64' } },
    );
    const image = layered(await source.open());
    const layer = image.layers[0];
    if (layer === undefined) throw new Error('no layer');
    expect(
      (await readAll(await layer.open())).equals(await readLayoutBlob(layout, layer.descriptor.digest)),
    ).toBe(true);
    await source.close();
    client.close();
  });
});
