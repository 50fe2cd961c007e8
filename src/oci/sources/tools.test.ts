import { existsSync } from 'node:fs';
import { mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LayeredImage } from '../image.js';
import { openImageSource } from './target.js';
import { requireCommand } from '../../testing/registry.js';
import { readAll, run, tempDir } from '../../testing/source-helpers.js';

// Cross-check against real tools: umoci builds an OCI layout with exact layers, skopeo copies it
// into oci-archive and docker-archive form, and all three must describe the same image.

requireCommand('umoci', 'umoci');
requireCommand('skopeo', 'skopeo');
const AMD64 = { os: 'linux', architecture: 'amd64' } as const;

describe('images written by umoci and skopeo', () => {
  let work: string;
  let layout: string;
  let ociArchive: string;
  let dockerArchive: string;
  let cacheDir: string;

  beforeAll(async () => {
    work = await tempDir('portcullis-tools-');
    layout = path.join(work, 'layout');
    const bundle = path.join(work, 'bundle');
    run('umoci', ['init', '--layout', layout]);
    run('umoci', ['new', '--image', `${layout}:t`]);
    run('umoci', ['unpack', '--rootless', '--image', `${layout}:t`, bundle]);
    await mkdir(path.join(bundle, 'rootfs', 'etc'), { recursive: true });
    await writeFile(path.join(bundle, 'rootfs', 'etc', 'os-release'), 'ID=portcullis-test\n');
    await writeFile(path.join(bundle, 'rootfs', 'etc', 'motd'), 'first layer\n');
    run('umoci', ['repack', '--image', `${layout}:t`, bundle]);
    await rm(bundle, { recursive: true, force: true });
    run('umoci', ['unpack', '--rootless', '--image', `${layout}:t`, bundle]);
    await unlink(path.join(bundle, 'rootfs', 'etc', 'motd'));
    await mkdir(path.join(bundle, 'rootfs', 'app'), { recursive: true });
    await writeFile(path.join(bundle, 'rootfs', 'app', 'run'), '#!/bin/sh\necho hi\n');
    run('umoci', ['repack', '--image', `${layout}:t`, bundle]);
    run('umoci', ['config', '--image', `${layout}:t`, '--config.user', '65532', '--config.cmd', '/app/run']);
    ociArchive = path.join(work, 'image-oci.tar');
    dockerArchive = path.join(work, 'image-docker.tar');
    run('skopeo', ['copy', '--quiet', `oci:${layout}:t`, `oci-archive:${ociArchive}:t`]);
    run('skopeo', [
      'copy',
      '--quiet',
      `oci:${layout}:t`,
      `docker-archive:${dockerArchive}:portcullis/test:t`,
    ]);
    cacheDir = path.join(work, 'cache');
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function openAll(target: string): Promise<{ image: LayeredImage; layerBytes: number[] }> {
    const source = await openImageSource(target, { cacheDir, platform: AMD64 });
    try {
      const image = await source.open();
      if (image.kind !== 'layered') throw new Error('expected a layered image');
      const layerBytes: number[] = [];
      for (const layer of image.layers) layerBytes.push((await readAll(await layer.open())).length);
      return { image, layerBytes };
    } finally {
      await source.close();
    }
  }

  it('gives the same config digest and diffIDs from oci:, oci-archive: and docker-archive:', async () => {
    const fromLayout = await openAll(`oci:${layout}:t`);
    const fromOciArchive = await openAll(`oci-archive:${ociArchive}:t`);
    const fromDockerArchive = await openAll(`docker-archive:${dockerArchive}:portcullis/test:t`);

    expect(fromLayout.image.layers).toHaveLength(2);
    expect(fromLayout.image.config.config?.User).toBe('65532');
    const configs = [fromLayout, fromOciArchive, fromDockerArchive].map((r) => r.image.configDigest);
    expect(new Set(configs).size).toBe(1);
    const diffIDs = [fromLayout, fromOciArchive, fromDockerArchive].map((r) =>
      r.image.layers.map((l) => l.diffID),
    );
    expect(diffIDs[1]).toEqual(diffIDs[0]);
    expect(diffIDs[2]).toEqual(diffIDs[0]);
    // skopeo copies the OCI manifest as is into the archive, but writes uncompressed layers for docker save's format.
    expect(fromOciArchive.image.digest).toBe(fromLayout.image.digest);
    expect(fromDockerArchive.image.digest).toBeUndefined();
    expect(fromDockerArchive.image.layers.map((l) => l.descriptor.digest)).toEqual(diffIDs[0]);
    expect(fromLayout.layerBytes).toEqual(fromLayout.image.layers.map((l) => l.descriptor.size));
    expect(fromDockerArchive.layerBytes).toEqual(
      fromDockerArchive.image.layers.map((l) => l.descriptor.size),
    );
    // Uncompressed archives are read in place: nothing is written, not even to the cache directory.
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('opens the docker-archive skopeo wrote by its tag in short or full form and by position', async () => {
    for (const target of [
      `docker-archive:${dockerArchive}:docker.io/portcullis/test:t`,
      `docker-archive:${dockerArchive}@0`,
      `docker-archive:${dockerArchive}`,
    ]) {
      const { image } = await openAll(target);
      expect(image.layers).toHaveLength(2);
    }
    await expect(openAll(`docker-archive:${dockerArchive}:portcullis/test:other`)).rejects.toMatchObject({
      code: 'MANIFEST_UNKNOWN',
    });
  });
});
