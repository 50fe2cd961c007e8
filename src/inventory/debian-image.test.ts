// Acceptance: the inventory of a real Debian 12 image (debootstrap minbase, packaged with umoci
// by the test set-up) equals what the real dpkg-query reports for the root filesystem it was
// built from.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PackageURL } from 'packageurl-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { openImageSource, type Image } from '../oci/index.js';
import { debianFixture } from '../testing/fixtures.js';
import { buildInventory, type Inventory } from './index.js';

const noRegistry = () => {
  throw new Error('this test reads local images only');
};

const { rootfs, layout } = debianFixture();

/** `name version sourceName sourceVersion` per installed package, from dpkg-query itself. */
function dpkgQuery(): string[] {
  const out = execFileSync(
    'dpkg-query',
    [
      `--admindir=${path.join(rootfs, 'var/lib/dpkg')}`,
      '-W',
      '-f',
      '${db:Status-Abbrev} ${Package} ${Version} ${source:Package} ${source:Version}\n',
    ],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .filter((l) => l.startsWith('ii '))
    .map((l) => l.slice(3).trim())
    .sort();
}

describe('Debian 12 image inventory', () => {
  let image: Image;
  let inventory: Inventory;
  beforeAll(async () => {
    const source = await openImageSource(`oci:${layout}:bookworm`, { registry: noRegistry });
    try {
      image = await source.open();
      inventory = await buildInventory(image);
    } finally {
      await source.close();
    }
  });

  it('lists exactly the packages dpkg-query lists, with the same versions and source packages', () => {
    const expected = dpkgQuery();
    expect(expected.length).toBeGreaterThan(80);
    const got = inventory.packages
      .map((p) => `${p.name} ${p.version} ${p.source?.name ?? ''} ${p.source?.version ?? ''}`)
      .sort();
    expect(got).toEqual(expected);
  });

  it('identifies Debian 12 bookworm from os-release', () => {
    expect(inventory.os).toMatchObject({
      family: 'debian',
      version: '12',
      codename: 'bookworm',
      distroless: false,
    });
  });

  it('gives every package a deb purl with arch and distro=debian-12', () => {
    for (const p of inventory.packages) {
      expect(p.type).toBe('deb');
      const purl = PackageURL.fromString(p.purl);
      expect(purl).toMatchObject({
        type: 'deb',
        namespace: 'debian',
        name: p.name,
        version: p.version,
        qualifiers: { arch: p.arch, distro: 'debian-12' },
      });
    }
    expect(inventory.packages.find((p) => p.name === 'libstdc++6')?.purl).toMatch(
      /^pkg:deb\/debian\/libstdc%2B%2B6@12\.2\.0-14\+deb12u\d+\?arch=amd64&distro=debian-12$/,
    );
    expect(inventory.packages.find((p) => p.name === 'bash')?.arch).toBe('amd64');
  });

  it('locates every package in var/lib/dpkg/status of layer 0', () => {
    const diffID = image.kind === 'layered' ? image.layers[0]?.diffID : undefined;
    expect(diffID).toBeDefined();
    for (const p of inventory.packages) {
      expect(p.location).toMatchObject({ path: 'var/lib/dpkg/status', layerIndex: 0, diffID });
    }
  });

  it('reads owned files from info/*.list (arch-qualified for Multi-Arch: same) and licenses from DEP-5 copyright files', () => {
    const byName = new Map(inventory.packages.map((p) => [p.name, p]));
    // dpkg names files as packaged (bin/bash), not as usrmerge placed them; directories are left out.
    expect(byName.get('bash')?.files).toContain('bin/bash');
    expect(byName.get('bash')?.files).not.toContain('bin');
    expect(byName.get('libc6')?.files).toContain('lib/x86_64-linux-gnu/libc.so.6');
    expect(byName.get('bash')?.licenses).toContain('GPL-3+');
    expect(byName.get('zlib1g')?.licenses).toEqual(['Zlib']);
    // base-files' copyright is free-form: no licenses are guessed.
    expect(byName.get('base-files')?.licenses).toEqual([]);
  });

  it('reports no gaps', () => {
    expect(inventory.gaps).toEqual([]);
  });
});
