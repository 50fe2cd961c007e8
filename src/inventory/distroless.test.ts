// Acceptance: a distroless-style root filesystem (dpkg status.d and etc/debian_version, no
// os-release, no dpkg status) read through the rootfs: image source.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImageSource } from '../oci/index.js';
import { sharedData } from '../testing/fixtures.js';
import { buildInventory, type Inventory } from './index.js';

describe('distroless root filesystem', () => {
  let root: string;
  let inventory: Inventory;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'portcullis-distroless-'));
    const statusD = path.join(root, 'var/lib/dpkg/status.d');
    await mkdir(statusD, { recursive: true });
    await mkdir(path.join(root, 'etc'));
    // libsqlite3-0 3.34.1-3 is Debian 11's; the status.d files are syft's distroless fixture.
    await writeFile(path.join(root, 'etc/debian_version'), '11.7\n');
    const fixture = sharedData(
      'pkgdb-fixtures',
      'dpkg',
      'syft',
      'image-distroless-deb',
      'var/lib/dpkg/status.d',
    );
    for (const f of ['libsqlite3-0', 'libsqlite3-0.md5sums']) {
      await copyFile(path.join(fixture, f), path.join(statusD, f));
    }
    const source = await openImageSource(`rootfs:${root}`, {
      registry: () => {
        throw new Error('this test reads local images only');
      },
    });
    try {
      inventory = await buildInventory(await source.open());
    } finally {
      await source.close();
    }
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is Debian, release from etc/debian_version, marked distroless', () => {
    expect(inventory.os).toEqual({
      family: 'debian',
      version: '11.7',
      codename: 'bullseye',
      prettyName: undefined,
      source: 'etc/debian_version',
      distroless: true,
    });
  });

  it('lists the status.d package with a Debian 11 purl, located in its status.d file', () => {
    expect(inventory.packages).toHaveLength(1);
    expect(inventory.packages[0]).toMatchObject({
      type: 'deb',
      name: 'libsqlite3-0',
      version: '3.34.1-3',
      arch: 'arm64',
      source: { name: 'sqlite3', version: '3.34.1-3' },
      purl: 'pkg:deb/debian/libsqlite3-0@3.34.1-3?arch=arm64&distro=debian-11',
      location: { path: 'var/lib/dpkg/status.d/libsqlite3-0', layerIndex: -1 },
    });
    expect(inventory.gaps).toEqual([]);
  });
});
