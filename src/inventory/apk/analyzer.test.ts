import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { imageOfFiles, type TreeFiles } from '../../testing/inventory-trees.js';
import { buildInventory } from '../inventory.js';
import type { Inventory } from '../types.js';
import { apkAnalyzer } from './analyzer.js';

async function inventoryOf(...layers: TreeFiles[]): Promise<Inventory> {
  return buildInventory(await imageOfFiles(...layers), { analyzers: [apkAnalyzer] });
}

/** name, version, arch, origin, license, number of owned files. */
type Row = readonly [string, string, string, string, string, number];

function rows(inv: Inventory): Row[] {
  return inv.packages.map((p): Row => [
    p.name,
    p.version,
    p.arch ?? '',
    p.source?.name ?? '',
    p.licenses.join('|'),
    p.files?.length ?? 0,
  ]);
}

function sorted(r: readonly Row[]): Row[] {
  return [...r].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const ALPINE_319 = 'ID=alpine\nVERSION_ID=3.19.1\n';

describe('apk analyzer', () => {
  it('gives purls with the Alpine release as distro, the origin as source, and the database as location', async () => {
    const image = await imageOfFiles(
      { 'etc/os-release': ALPINE_319 },
      {
        'lib/apk/db/installed':
          'P:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\nF:usr/lib\nR:libcrypto.so.3\n\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nL:MIT\n',
      },
    );
    const inv = await buildInventory(image, { analyzers: [apkAnalyzer] });
    const location = {
      path: 'lib/apk/db/installed',
      layerIndex: 1,
      diffID: image.layers[1]?.diffID,
      createdBy: 'step 1',
    };
    expect(inv.packages).toEqual([
      {
        type: 'apk',
        name: 'libcrypto3',
        version: '3.1.4-r5',
        arch: 'x86_64',
        purl: 'pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=3.19.1',
        source: { name: 'openssl', version: '3.1.4-r5' },
        licenses: ['Apache-2.0'],
        location,
        files: ['usr/lib/libcrypto.so.3'],
      },
      {
        type: 'apk',
        name: 'musl',
        version: '1.2.4_git20230717-r4',
        arch: 'x86_64',
        purl: 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=3.19.1',
        // No origin line: the package is its own source.
        source: { name: 'musl', version: '1.2.4_git20230717-r4' },
        licenses: ['MIT'],
        location,
      },
    ]);
  });

  it('uses the OS family as purl namespace on Wolfi', async () => {
    const inv = await inventoryOf({
      'etc/os-release': 'ID=wolfi\nVERSION_ID=20230201\n',
      'lib/apk/db/installed': 'P:glibc\nV:2.39-r1\nA:x86_64\n',
    });
    expect(inv.packages.map((p) => p.purl)).toEqual([
      'pkg:apk/wolfi/glibc@2.39-r1?arch=x86_64&distro=20230201',
    ]);
  });

  it('finds nothing, and reports nothing, without an apk database', async () => {
    expect(await inventoryOf({ 'etc/os-release': ALPINE_319 })).toMatchObject({ packages: [], gaps: [] });
  });
});

describe('apk analyzer on the pkgdb fixtures', () => {
  const cases: { name: string; file: string; release: string; want: Row[]; gaps?: string[] }[] = [
    {
      name: "Trivy's apk database: licenses as written, the version-less block a gap",
      file: 'trivy-apk-installed',
      release: '3.3.1',
      want: [
        ['musl', '1.1.14-r10', 'x86_64', 'musl', 'MIT', 2],
        ['busybox', '1.24.2-r9', 'x86_64', 'busybox', 'GPL2', 5],
        ['alpine-baselayout', '3.0.3-r0', 'x86_64', 'alpine-baselayout', 'GPL2', 25],
        ['alpine-keys', '1.1-r0', 'x86_64', 'alpine-keys', 'GPL', 5],
        ['zlib', '1.2.8-r2', 'x86_64', 'zlib', 'zlib', 2],
        ['libcrypto1.0', '1.0.2h-r1', 'x86_64', 'openssl', 'openssl', 15],
        ['libssl1.0', '1.0.2h-r1', 'x86_64', 'openssl', 'openssl', 2],
        ['apk-tools', '2.6.7-r0', 'x86_64', 'apk-tools', 'GPL2', 1],
        ['scanelf', '1.1.6-r0', 'x86_64', 'pax-utils', 'GPL2', 1],
        ['musl-utils', '1.1.14-r10', 'x86_64', 'musl', 'MIT BSD GPL2+', 5],
        ['libc-utils', '0.7-r0', 'x86_64', 'libc-dev', 'GPL', 0],
        ['pkgconf', '1.6.0-r0', 'x86_64', 'pkgconf', 'ISC', 5],
        ['sqlite-libs', '3.26.0-r3', 'x86_64', 'sqlite', 'Public-Domain', 2],
        ['test', '2.9.11_pre20061021-r2', 'x86_64', 'test-parent', 'Public-Domain', 4],
        ['ada-libs', '2.7.4-r0', 'x86_64', 'ada', '( Apache-2.0 OR MIT ) AND MPL-2.0', 2],
      ],
      gaps: ['block at line 23 (invalidPackageWithoutAVersion) has no version (V:)'],
    },
    {
      name: "osv-scalibr's database (Alpine 3.18)",
      file: 'scalibr-installed',
      release: '3.18.0',
      want: [
        ['alpine-baselayout', '3.4.3-r1', 'x86_64', 'alpine-baselayout', 'GPL-2.0-only', 12],
        ['alpine-baselayout-data', '3.4.3-r1', 'x86_64', 'alpine-baselayout', 'GPL-2.0-only', 15],
        ['alpine-keys', '2.4-r1', 'x86_64', 'alpine-keys', 'MIT', 41],
        ['apk-tools', '2.14.0-r0', 'x86_64', 'apk-tools', 'GPL-2.0-only', 2],
        ['busybox', '1.36.0-r9', 'x86_64', 'busybox', 'GPL-2.0-only', 7],
        ['busybox-binsh', '1.36.0-r9', 'x86_64', 'busybox', 'GPL-2.0-only', 1],
        ['ca-certificates-bundle', '20230506-r0', 'x86_64', 'ca-certificates', 'MPL-2.0 AND MIT', 4],
        ['libc-utils', '0.7.2-r5', 'x86_64', 'libc-dev', 'BSD-2-Clause AND BSD-3-Clause', 0],
        ['libcrypto3', '3.1.0-r4', 'x86_64', 'openssl', 'Apache-2.0', 14],
        ['libssl3', '3.1.0-r4', 'x86_64', 'openssl', 'Apache-2.0', 2],
        ['musl', '1.2.4-r0', 'x86_64', 'musl', 'MIT', 2],
        ['musl-utils', '1.2.4-r0', 'x86_64', 'musl', 'MIT AND BSD-2-Clause AND GPL-2.0-or-later', 5],
        ['scanelf', '1.3.7-r1', 'x86_64', 'pax-utils', 'GPL-2.0-only', 1],
        ['ssl_client', '1.36.0-r9', 'x86_64', 'busybox', 'GPL-2.0-only', 1],
        ['zlib', '1.2.13-r1', 'x86_64', 'zlib', 'Zlib', 2],
      ],
    },
    {
      name: "syft's multiple-2 database (Alpine 3.16)",
      file: 'syft-multiple-2-installed',
      release: '3.16.2',
      want: [
        ['alpine-baselayout-data', '3.2.0-r22', 'x86_64', 'alpine-baselayout', 'GPL-2.0-only', 14],
        ['musl', '1.2.3-r0', 'x86_64', 'musl', 'MIT', 2],
        ['busybox', '1.35.0-r17', 'x86_64', 'busybox', 'GPL-2.0-only', 7],
        ['alpine-baselayout', '3.2.0-r22', 'x86_64', 'alpine-baselayout', 'GPL-2.0-only', 14],
        ['alpine-keys', '2.4-r1', 'x86_64', 'alpine-keys', 'MIT', 41],
        ['ca-certificates-bundle', '20220614-r0', 'x86_64', 'ca-certificates', 'MPL-2.0 AND MIT', 2],
        ['libcrypto1.1', '1.1.1q-r0', 'x86_64', 'openssl', 'OpenSSL', 12],
        ['libssl1.1', '1.1.1q-r0', 'x86_64', 'openssl', 'OpenSSL', 2],
        ['ssl_client', '1.35.0-r17', 'x86_64', 'busybox', 'GPL-2.0-only', 1],
        ['zlib', '1.2.12-r3', 'x86_64', 'zlib', 'Zlib', 2],
        ['apk-tools', '2.12.9-r3', 'x86_64', 'apk-tools', 'GPL-2.0-only', 2],
        ['scanelf', '1.3.4-r0', 'x86_64', 'pax-utils', 'GPL-2.0-only', 1],
        ['musl-utils', '1.2.3-r0', 'x86_64', 'musl', 'MIT BSD GPL2+', 5],
        ['libc-utils', '0.7.2-r3', 'x86_64', 'libc-dev', 'BSD-2-Clause AND BSD-3-Clause', 0],
      ],
    },
    {
      name: "syft's single-package database without a trailing blank line",
      file: 'syft-base',
      release: '3.12.0',
      want: [['alpine-baselayout', '3.2.0-r6', 'x86_64', 'alpine-baselayout', 'GPL-2.0-only', 27]],
    },
  ];

  it.each(cases)('$name', async ({ file, release, want, gaps }) => {
    const installed = await readFile(sharedData('pkgdb-fixtures', 'apk', file));
    const inv = await inventoryOf({
      'etc/alpine-release': `${release}\n`,
      'lib/apk/db/installed': installed,
    });
    expect(rows(inv)).toEqual(sorted(want));
    expect(inv.gaps.map((g) => g.reason)).toEqual(gaps ?? []);
    for (const p of inv.packages) expect(p.purl).toContain(`&distro=${release}`);
  });

  it('owned files keep their directory: alpine-baselayout owns etc/fstab (syft base)', async () => {
    const installed = await readFile(sharedData('pkgdb-fixtures', 'apk', 'syft-base'));
    const inv = await inventoryOf({ 'lib/apk/db/installed': installed });
    expect(inv.packages[0]?.files).toEqual(expect.arrayContaining(['etc/fstab', 'etc/group', 'etc/profile']));
  });
});
