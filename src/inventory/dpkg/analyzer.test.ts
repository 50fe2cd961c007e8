import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImageSource, type Image } from '../../oci/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { imageOfFiles } from '../../testing/inventory-trees.js';
import { buildInventory } from '../inventory.js';
import type { Inventory } from '../types.js';
import { dpkgAnalyzer } from './analyzer.js';

const noRegistry = () => {
  throw new Error('this test reads local images only');
};

function inventoryOf(image: Image): Promise<Inventory> {
  return buildInventory(image, { analyzers: [dpkgAnalyzer] });
}

async function inventoryOfRootfs(dir: string): Promise<Inventory> {
  const source = await openImageSource(`rootfs:${dir}`, { registry: noRegistry });
  try {
    return await inventoryOf(await source.open());
  } finally {
    await source.close();
  }
}

/** `name version arch source sourceVersion` per package, in inventory order. */
function rows(inv: Inventory): string[] {
  return inv.packages.map(
    (p) => `${p.name} ${p.version} ${p.arch ?? '-'} ${p.source?.name ?? '-'} ${p.source?.version ?? '-'}`,
  );
}

const UBUNTU = 'ID=ubuntu\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n';

function stanza(name: string, version: string, extra = ''): string {
  return `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${extra}`;
}

describe('dpkg analyzer on small images', () => {
  it('takes owned files from info/<pkg>:<arch>.list, else info/<pkg>.list, leaving out directories and symlinked directories', async () => {
    const image = await imageOfFiles({
      'usr/bin': { dir: true },
      bin: { symlink: 'usr/bin' },
      'usr/bin/bash': 'ELF',
      'var/lib/dpkg/status': `${stanza('bash', '5.2.15-2+b2')}\n${stanza('libc6', '2.36-9', 'Multi-Arch: same\n')}`,
      'var/lib/dpkg/info/bash.list': '/.\n/bin\n/bin/bash\n/usr\n/usr/bin\n/usr/share/doc/bash/copyright\n',
      'var/lib/dpkg/info/libc6:amd64.list': '/usr/lib/x86_64-linux-gnu/libc.so.6\n',
      'var/lib/dpkg/info/libc6.list': '/wrong\n',
    });
    const inv = await inventoryOf(image);
    expect(inv.packages.map((p) => [p.name, p.files])).toEqual([
      ['bash', ['bin/bash', 'usr/share/doc/bash/copyright']],
      ['libc6', ['usr/lib/x86_64-linux-gnu/libc.so.6']],
    ]);
  });

  it('reads licenses from DEP-5 copyright files, also through a symlinked doc directory', async () => {
    const dep5 = (license: string) =>
      `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: x\nLicense: ${license}\n`;
    const image = await imageOfFiles({
      'var/lib/dpkg/status': [
        stanza('zlib1g', '1:1.2.13.dfsg-1'),
        stanza('libgcc-s1', '12.2.0-14', 'Source: gcc-12\n'),
        stanza('base-files', '12.4'),
      ].join('\n'),
      'usr/share/doc/zlib1g/copyright': dep5('Zlib'),
      'usr/share/doc/gcc-12-base/copyright': dep5('GPL-3+ with GCC-Runtime-Library-exception'),
      'usr/share/doc/libgcc-s1': { symlink: 'gcc-12-base' },
      'usr/share/doc/base-files/copyright': 'This is free-form text.\n',
    });
    const inv = await inventoryOf(image);
    expect(inv.packages.map((p) => [p.name, p.licenses])).toEqual([
      ['base-files', []],
      ['libgcc-s1', ['GPL-3+ with GCC-Runtime-Library-exception']],
      ['zlib1g', ['Zlib']],
    ]);
  });

  it('names the OS vendor and release in the purl and records the layer that wrote the status file', async () => {
    const image = await imageOfFiles(
      { 'etc/os-release': UBUNTU, 'var/lib/dpkg/status': stanza('dpkg', '1.21.1ubuntu2') },
      { 'var/lib/dpkg/status': stanza('dpkg', '1.21.1ubuntu2.3') },
    );
    const inv = await inventoryOf(image);
    expect(inv.packages).toHaveLength(1);
    expect(inv.packages[0]).toMatchObject({
      purl: 'pkg:deb/ubuntu/dpkg@1.21.1ubuntu2.3?arch=amd64&distro=ubuntu-22.04',
      location: { path: 'var/lib/dpkg/status', layerIndex: 1, createdBy: 'step 1' },
    });
  });

  it('reads distroless status.d files (not their .md5sums), with owned files from the .md5sums', async () => {
    const image = await imageOfFiles({
      'etc/debian_version': '12.5\n',
      'var/lib/dpkg/status.d/tzdata': 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n',
      'var/lib/dpkg/status.d/tzdata.md5sums':
        '0123abcd  usr/share/zoneinfo/UTC\n4567ef00  usr/share/doc/tzdata/copyright\n',
      'var/lib/dpkg/status.d/libssl3':
        'Package: libssl3\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n',
    });
    const inv = await inventoryOf(image);
    expect(inv.os).toMatchObject({ family: 'debian', version: '12.5', distroless: true });
    expect(inv.packages.map((p) => [p.name, p.location.path, p.files, p.purl])).toEqual([
      [
        'libssl3',
        'var/lib/dpkg/status.d/libssl3',
        undefined,
        'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
      ],
      [
        'tzdata',
        'var/lib/dpkg/status.d/tzdata',
        ['usr/share/zoneinfo/UTC', 'usr/share/doc/tzdata/copyright'],
        'pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12',
      ],
    ]);
    expect(inv.gaps).toEqual([]);
  });

  it('turns malformed stanzas into gaps naming the file, and keeps the good ones', async () => {
    const image = await imageOfFiles({
      'var/lib/dpkg/status': `Package:\n\n${stanza('ok', '1')}\nPackage: broken\nStatus: install ok installed\n`,
    });
    const inv = await inventoryOf(image);
    expect(rows(inv)).toEqual(['ok 1 amd64 ok 1']);
    expect(inv.gaps).toEqual([
      { analyzer: 'dpkg', path: 'var/lib/dpkg/status', reason: 'stanza at line 1 has no Package name' },
      { analyzer: 'dpkg', path: 'var/lib/dpkg/status', reason: 'stanza at line 8 (broken) has no Version' },
    ]);
  });

  it('finds nothing, and reports nothing, in an image without dpkg', async () => {
    const inv = await inventoryOf(await imageOfFiles({ 'etc/alpine-release': '3.19.1\n' }));
    expect(inv).toMatchObject({ packages: [], gaps: [], warnings: [] });
  });
});

/** The `-- path --` sections of a txtar archive. */
function txtar(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^-- (.+) --$/.exec(line);
    if (m?.[1] !== undefined) {
      current = m[1];
      files.set(current, '');
    } else if (current !== undefined) {
      files.set(current, `${files.get(current) ?? ''}${line}\n`);
    }
  }
  return files;
}

describe('dpkg analyzer on the pkgdb fixtures', () => {
  it("Trivy's valid.txtar status: the 90 installed packages dpkg-query lists, with their source packages", async () => {
    const files = txtar(await readFile(sharedData('pkgdb-fixtures', 'dpkg', 'trivy-valid.txtar'), 'utf8'));
    const status = files.get('var/lib/dpkg/status') ?? '';
    const admin = await mkdtemp(path.join(os.tmpdir(), 'portcullis-dpkg-'));
    let expected: string[];
    try {
      await writeFile(path.join(admin, 'status'), status);
      expected = execFileSync(
        'dpkg-query',
        [
          `--admindir=${admin}`,
          '-W',
          '-f',
          '${db:Status-Abbrev}|${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\n',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      )
        .split('\n')
        .filter((l) => l.startsWith('ii '))
        .map((l) => l.slice(l.indexOf('|') + 1))
        .sort();
    } finally {
      await rm(admin, { recursive: true, force: true });
    }
    const inv = await inventoryOf(await imageOfFiles({ 'var/lib/dpkg/status': status }));
    expect(expected).toHaveLength(90);
    expect(rows(inv).sort()).toEqual(expected);
    // A few the upstream test singles out: Ubuntu packages with a Source field, one with an epoch.
    expect(rows(inv)).toEqual(
      expect.arrayContaining([
        'fdisk 2.31.1-0.4ubuntu3.1 amd64 util-linux 2.31.1-0.4ubuntu3.1',
        'libpam-runtime 1.1.8-3.6ubuntu2 all pam 1.1.8-3.6ubuntu2',
      ]),
    );
    expect(inv.gaps).toEqual([]);
  });

  it("osv-scalibr's status: every package, Source with version, epochs", async () => {
    const status = await readFile(sharedData('pkgdb-fixtures', 'dpkg', 'scalibr-status-valid'));
    const inv = await inventoryOf(await imageOfFiles({ 'var/lib/dpkg/status': status }));
    expect(rows(inv)).toEqual([
      'accountsservice 22.08.8-6 amd64 accountsservice 22.08.8-6',
      'acl 2.3.1-3 amd64 acl 2.3.1-3',
      'adduser 3.131 all adduser 3.131',
      'admin-session 2023.06.26.c543406313-00 amd64 admin-session 2023.06.26.c543406313-00',
      'attr 1:2.5.1-4 amd64 attr 1:2.5.1-4',
      'libacl1 2.3.1-3 amd64 acl 2.3.1-3',
      'util-linux-extra 2.38.1-5+b1 amd64 util-linux 2.38.1-5',
    ]);
  });

  it("osv-scalibr's status.d/foo: a stanza without Status counts, one marked deinstall does not", async () => {
    const foo = await readFile(sharedData('pkgdb-fixtures', 'dpkg', 'scalibr-status.d', 'foo'));
    const inv = await inventoryOf(await imageOfFiles({ 'var/lib/dpkg/status.d/foo': foo }));
    expect(rows(inv)).toEqual(['foo 1.2.3 amd64 foo 1.2.3']);
    expect(inv.gaps).toEqual([]);
  });

  it("syft's distroless image: libsqlite3-0 from status.d with the files of its .md5sums", async () => {
    const inv = await inventoryOfRootfs(sharedData('pkgdb-fixtures', 'dpkg', 'syft', 'image-distroless-deb'));
    expect(rows(inv)).toEqual(['libsqlite3-0 3.34.1-3 arm64 sqlite3 3.34.1-3']);
    expect(inv.packages[0]?.files).toEqual([
      'usr/lib/aarch64-linux-gnu/libsqlite3.so.0.8.6',
      'usr/share/doc/libsqlite3-0/README.Debian',
      'usr/share/doc/libsqlite3-0/changelog.Debian.gz',
      'usr/share/doc/libsqlite3-0/changelog.gz',
      'usr/share/doc/libsqlite3-0/changelog.html.gz',
      'usr/share/doc/libsqlite3-0/copyright',
    ]);
    expect(inv.packages[0]?.location).toMatchObject({
      path: 'var/lib/dpkg/status.d/libsqlite3-0',
      layerIndex: -1,
    });
    expect(inv.os).toMatchObject({ family: 'debian', version: undefined, distroless: true });
  });

  it("syft's image-dpkg status: the empty first stanza is a gap, libpam-runtime is found", async () => {
    const inv = await inventoryOfRootfs(sharedData('pkgdb-fixtures', 'dpkg', 'syft', 'image-dpkg'));
    expect(rows(inv)).toEqual(['libpam-runtime 1.1.8-3.6 all pam 1.1.8-3.6']);
    expect(inv.gaps).toEqual([
      { analyzer: 'dpkg', path: 'var/lib/dpkg/status', reason: 'stanza at line 1 has no Package name' },
    ]);
  });

  it("syft's status.d collection: packages of every readable stanza, a gap for each unreadable one", async () => {
    const inv = await inventoryOfRootfs(sharedData('pkgdb-fixtures', 'dpkg', 'syft'));
    expect(rows(inv)).toEqual([
      'apt 1.8.2 amd64 apt-dev 1.8.2',
      'apt 1.8.2 amd64 apt-dev 1.8.2',
      'coreutils 9.1-1 arm64 coreutils 9.1-1',
      'gcc-12-base 12.2.0-14 arm64 gcc-12 12.2.0-14',
      'libacl1 2.3.1-3 arm64 acl 2.3.1-3',
      'libattr1 1:2.5.1-4 arm64 attr 1:2.5.1-4',
      'libc6 2.36-9+deb12u1 arm64 glibc 2.36-9+deb12u1',
      'libgcc-s1 12.2.0-14 arm64 gcc-12 12.2.0-14',
      'libgmp10 2:6.2.1+dfsg1-1.1 arm64 gmp 2:6.2.1+dfsg1-1.1',
      'libpam-runtime 1.5.2-6+deb12u1 all pam 1.5.2-6+deb12u1',
      'libpcre2-8-0 10.42-1 arm64 pcre2 10.42-1',
      'libselinux1 3.4-1+b6 arm64 libselinux 3.4-1',
      'linux-image-6.14.0-1012-aws 6.14.0-1012.12~24.04.1 amd64 linux-signed-aws-6.14 6.14.0-1012.12~24.04.1',
      'made-up-package-1 1.0.0 - glibc 1.0.0',
      'made-up-package-2 2.0.0 - made-up-package-2 2.0.0',
      'made-up-package-3 3.0.0 - made-up-package-3 3.0.0',
      'made-up-package-4 3.0.0 - made-up-package-4 3.0.0',
      'mutt 1.3.17-1 - mutt 1.3.17-1',
      'tzdata 2020a-0+deb10u1 all tzdata-dev 2020a-0+deb10u1',
      'util-linux 2.33.1-0.1 amd64 util-linux 2.33.1-0.1',
    ]);
    // The two apt entries come from two files (installed-size-4KB and single).
    expect(inv.packages.filter((p) => p.name === 'apt').map((p) => p.location.path)).toEqual([
      'var/lib/dpkg/status.d/installed-size-4KB',
      'var/lib/dpkg/status.d/single',
    ]);
    const gapsByFile = new Map<string, number>();
    for (const g of inv.gaps) gapsByFile.set(g.path, (gapsByFile.get(g.path) ?? 0) + 1);
    expect(Object.fromEntries(gapsByFile)).toEqual({
      // Pakij/Stratus stanza: the missing name, the unreadable line, the continuation after it.
      'var/lib/dpkg/status.d/corrupt': 3,
      // made-up-package-5 and the ten bare `Package: x` stanzas have no Version.
      'var/lib/dpkg/status.d/doc-examples': 11,
      'var/lib/dpkg/status.d/empty': 1,
      'var/lib/dpkg/status.d/libpam-runtime': 5,
      'var/lib/dpkg/status.d/multiple': 2,
    });
    // The deinstall file's second kernel is config-files only: not installed, and not a gap.
    expect(inv.packages.some((p) => p.name === 'linux-image-6.8.0-1029-aws')).toBe(false);
  });
});
