// Acceptance: Trivy's test images (docker save tarballs, see ../shared/data/image-fixtures
// SOURCES.md) give the OS packages Trivy's goldens list (../shared/data/scanner-goldens);
// images without a golden are checked against tables read off their lib/apk/db/installed.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openImageSource, type Image } from '../oci/index.js';
import { sharedData } from '../testing/fixtures.js';
import { buildInventory, isOsPackageType, type Inventory } from './index.js';

const noRegistry = () => {
  throw new Error('this test reads local images only');
};

async function inventoryOf(file: string): Promise<{ image: Image; inventory: Inventory }> {
  const source = await openImageSource(`docker-archive:${file}`, { registry: noRegistry });
  try {
    const image = await source.open();
    return { image, inventory: await buildInventory(image) };
  } finally {
    await source.close();
  }
}

/** name, version, source (origin) of each package. */
type Row = readonly [string, string, string];

function rows(inventory: Inventory): Row[] {
  return inventory.packages
    .filter((p) => isOsPackageType(p.type))
    .map((p): Row => [p.name, p.version, p.source?.name ?? ''])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

function sortRows(r: readonly Row[]): Row[] {
  return [...r].sort((a, b) => a[0].localeCompare(b[0]));
}

type FanalPackage = { Name: string; Version: string; SrcName: string; SrcVersion: string; Arch: string };
type TrivyReport = {
  Metadata: { OS?: { Family: string; Name: string } };
  Results: {
    Vulnerabilities?: {
      PkgName: string;
      InstalledVersion: string;
      PkgIdentifier: { PURL: string };
      Layer: { DiffID: string };
    }[];
  }[];
};

function readJson(...parts: string[]): unknown {
  return JSON.parse(readFileSync(sharedData(...parts), 'utf8'));
}

type ImageCase = {
  name: string;
  file: string[];
  release: string;
  /** Expected packages; from Trivy's fanal golden when `fanalGolden` is set. */
  table?: readonly Row[];
  fanalGolden?: string;
  /** Trivy integration golden whose vulnerable packages (name, version, purl, layer) must all be found. */
  reportGolden?: string;
};

const images: ImageCase[] = [
  {
    name: 'alpine 3.10.2 (trivy-test-images alpine-310)',
    file: ['image-fixtures', 'trivy-test-images', 'alpine-310.tar.gz'],
    release: '3.10.2',
    fanalGolden: 'alpine-310.json.golden',
    reportGolden: 'alpine-310.json.golden',
  },
  {
    name: 'alpine 3.9.4 (trivy-test-images alpine-39)',
    file: ['image-fixtures', 'trivy-test-images', 'alpine-39.tar.gz'],
    release: '3.9.4',
    reportGolden: 'alpine-39.json.golden',
    table: [
      ['musl', '1.1.20-r4', 'musl'],
      ['busybox', '1.29.3-r10', 'busybox'],
      ['alpine-baselayout', '3.1.0-r3', 'alpine-baselayout'],
      ['alpine-keys', '2.1-r1', 'alpine-keys'],
      ['libcrypto1.1', '1.1.1b-r1', 'openssl'],
      ['libssl1.1', '1.1.1b-r1', 'openssl'],
      ['ca-certificates-cacert', '20190108-r0', 'ca-certificates'],
      ['libtls-standalone', '2.7.4-r6', 'libtls-standalone'],
      ['ssl_client', '1.29.3-r10', 'busybox'],
      ['zlib', '1.2.11-r1', 'zlib'],
      ['apk-tools', '2.10.3-r1', 'apk-tools'],
      ['scanelf', '1.2.3-r0', 'pax-utils'],
      ['musl-utils', '1.1.20-r4', 'musl'],
      ['libc-utils', '0.7.1-r0', 'libc-dev'],
    ],
  },
  {
    name: 'alpine 3.15.0 (trivy-test-images alpine-3.15.0)',
    file: ['image-fixtures', 'trivy-test-images', 'alpine-3.15.0.tar.gz'],
    release: '3.15.0',
    table: [
      ['musl', '1.2.2-r7', 'musl'],
      ['busybox', '1.34.1-r3', 'busybox'],
      ['alpine-baselayout', '3.2.0-r18', 'alpine-baselayout'],
      ['alpine-keys', '2.4-r1', 'alpine-keys'],
      ['ca-certificates-bundle', '20191127-r7', 'ca-certificates'],
      ['libcrypto1.1', '1.1.1l-r7', 'openssl'],
      ['libssl1.1', '1.1.1l-r7', 'openssl'],
      ['libretls', '3.3.4-r2', 'libretls'],
      ['ssl_client', '1.34.1-r3', 'busybox'],
      ['zlib', '1.2.11-r3', 'zlib'],
      ['apk-tools', '2.12.7-r3', 'apk-tools'],
      ['scanelf', '1.3.3-r0', 'pax-utils'],
      ['musl-utils', '1.2.2-r7', 'musl'],
      ['libc-utils', '0.7.2-r3', 'libc-dev'],
    ],
  },
  {
    name: 'alpine 3.10.4 (trivy fanal testdata alpine-310)',
    file: ['image-fixtures', 'trivy-fanal', 'alpine-3.10.4.tar.gz'],
    release: '3.10.4',
    table: [
      ['musl', '1.1.22-r3', 'musl'],
      ['busybox', '1.30.1-r3', 'busybox'],
      ['alpine-baselayout', '3.1.2-r0', 'alpine-baselayout'],
      ['alpine-keys', '2.1-r2', 'alpine-keys'],
      ['libcrypto1.1', '1.1.1d-r2', 'openssl'],
      ['libssl1.1', '1.1.1d-r2', 'openssl'],
      ['ca-certificates-cacert', '20190108-r0', 'ca-certificates'],
      ['libtls-standalone', '2.9.1-r0', 'libtls-standalone'],
      ['ssl_client', '1.30.1-r3', 'busybox'],
      ['zlib', '1.2.11-r1', 'zlib'],
      ['apk-tools', '2.10.4-r2', 'apk-tools'],
      ['scanelf', '1.2.3-r0', 'pax-utils'],
      ['musl-utils', '1.1.22-r3', 'musl'],
      ['libc-utils', '0.7.1-r0', 'libc-dev'],
    ],
  },
  {
    name: 'alpine 3.11.5 (trivy fanal testdata alpine-311)',
    file: ['image-fixtures', 'trivy-fanal', 'alpine-311.tar.gz'],
    release: '3.11.5',
    table: [
      ['musl', '1.1.24-r2', 'musl'],
      ['busybox', '1.31.1-r9', 'busybox'],
      ['alpine-baselayout', '3.2.0-r3', 'alpine-baselayout'],
      ['alpine-keys', '2.1-r2', 'alpine-keys'],
      ['libcrypto1.1', '1.1.1d-r3', 'openssl'],
      ['libssl1.1', '1.1.1d-r3', 'openssl'],
      ['ca-certificates-cacert', '20191127-r1', 'ca-certificates'],
      ['libtls-standalone', '2.9.1-r0', 'libtls-standalone'],
      ['ssl_client', '1.31.1-r9', 'busybox'],
      ['zlib', '1.2.11-r3', 'zlib'],
      ['apk-tools', '2.10.4-r3', 'apk-tools'],
      ['scanelf', '1.2.4-r0', 'pax-utils'],
      ['musl-utils', '1.1.24-r2', 'musl'],
      ['libc-utils', '0.7.2-r0', 'libc-dev'],
    ],
  },
];

describe.each(images)('$name', ({ file, release, table, fanalGolden, reportGolden }) => {
  let image: Image;
  let inventory: Inventory;
  beforeAll(async () => {
    ({ image, inventory } = await inventoryOf(sharedData(...file)));
  });

  it(`identifies Alpine ${release}`, () => {
    expect(inventory.os).toMatchObject({ family: 'alpine', version: release, distroless: false });
  });

  if (fanalGolden !== undefined) {
    it("lists the packages of Trivy's fanal golden: names, versions, source names and versions, arch", () => {
      const golden = readJson('scanner-goldens', 'fanal-goldens', 'packages', fanalGolden) as FanalPackage[];
      const want = golden.map((p) => [p.Name, p.Version, p.SrcName, p.SrcVersion, p.Arch]).sort();
      const got = inventory.packages
        .filter((p) => isOsPackageType(p.type))
        .map((p) => [p.name, p.version, p.source?.name, p.source?.version, p.arch])
        .sort();
      expect(got).toEqual(want);
    });
  }
  if (table !== undefined) {
    it(`lists the ${table.length} packages of its apk database with their origins`, () => {
      expect(rows(inventory)).toEqual(sortRows(table));
    });
  }
  if (reportGolden !== undefined) {
    it("finds every vulnerable package of Trivy's report golden with the same purl and layer", () => {
      const report = readJson('scanner-goldens', 'integration-goldens', reportGolden) as TrivyReport;
      expect(report.Metadata.OS).toEqual(expect.objectContaining({ Family: 'alpine', Name: release }));
      const vulnerable = report.Results.flatMap((r) => r.Vulnerabilities ?? []);
      expect(vulnerable.length).toBeGreaterThan(0);
      for (const v of vulnerable) {
        const p = inventory.packages.find((q) => q.name === v.PkgName);
        expect(p?.version).toBe(v.InstalledVersion);
        expect(p?.purl).toBe(v.PkgIdentifier.PURL);
        expect(p?.location.diffID).toBe(v.Layer.DiffID);
      }
    });
  }

  it('gives apk purls with arch and the release as distro, located in lib/apk/db/installed of its layer', () => {
    const layer = image.kind === 'layered' ? image.layers.at(-1) : undefined;
    const apk = inventory.packages.filter((p) => p.type === 'apk');
    expect(apk.length).toBeGreaterThan(0);
    for (const p of apk) {
      expect(p.purl).toBe(`pkg:apk/alpine/${p.name}@${p.version}?arch=x86_64&distro=${release}`);
      expect(p.location).toMatchObject({
        path: 'lib/apk/db/installed',
        layerIndex: layer?.index,
        diffID: layer?.diffID,
      });
      expect(p.licenses.length).toBe(1);
    }
    expect(inventory.packages.find((p) => p.name === 'busybox')?.files).toContain('bin/busybox');
  });

  it('reports no gaps', () => {
    expect(inventory.gaps).toEqual([]);
  });
});

describe('busybox with a Cargo.lock (trivy-test-images busybox-with-lockfile)', () => {
  it('has no OS and no OS packages, as Trivy reports', async () => {
    const report = readJson(
      'scanner-goldens',
      'integration-goldens',
      'busybox-with-lockfile.json.golden',
    ) as TrivyReport;
    expect(report.Metadata.OS).toBeUndefined();
    const { inventory } = await inventoryOf(
      sharedData('image-fixtures', 'trivy-test-images', 'busybox-with-lockfile.tar.gz'),
    );
    expect(inventory.os).toBeUndefined();
    expect(inventory.packages.filter((p) => isOsPackageType(p.type))).toEqual([]);
    expect(inventory.gaps).toEqual([]);
  });
});
