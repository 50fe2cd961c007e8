// Scans against real advisory data: the Alpine secdb, the PyPA and Go vulnerability databases,
// and Debian-style advisories keyed by source package. Expected results are written down from
// the data itself (see the comments), not from running the scanner.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInventory, type Inventory } from '../inventory/index.js';
import { openImageSource } from '../oci/index.js';
import { repoRoot, sharedData } from '../testing/fixtures.js';
import { importFeeds, openVulnDb, type OsvRecord, type VulnDb } from '../vulndb/index.js';
import { matchInventory } from './index.js';

const run = promisify(execFile);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-real-data-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function inventoryOf(target: string): Promise<Inventory> {
  const source = await openImageSource(target, {
    cacheDir: path.join(work, 'cache'),
    registry: () => {
      throw new Error('local images only');
    },
  });
  try {
    return await buildInventory(await source.open());
  } finally {
    await source.close();
  }
}

function rows(db: VulnDb, inventory: Inventory, keep: (sourceName: string) => boolean): string[] {
  return matchInventory(inventory, db)
    .findings.filter((f) => keep(f.package.source?.name ?? f.package.name))
    .map((f) => `${f.package.name} ${f.installedVersion} ${f.id} ${f.fixedVersion ?? '-'}`)
    .sort();
}

describe('Alpine images against the real Alpine secdb', () => {
  let db: VulnDb;
  beforeAll(async () => {
    db = openVulnDb(path.join(work, 'alpine.db'));
    await importFeeds(db, [sharedData('alpine-secdb')]);
  });
  afterAll(() => {
    db.close();
  });

  // From alpine-secdb/vX.Y/main.yaml, the secfixes of openssl, musl and busybox, against the
  // versions installed in each image (apk db): a fix listed at a version above the installed
  // one is a finding; a fix at or below it is not.
  it.each([
    [
      // 3.9.4: openssl 1.1.1b-r1 (fixes at 1.1.1d-r0: 1547/1549/1563; 1.1.1b-r1 fixed 1543
      // already), musl 1.1.20-r4 (1.1.20-r5: 14697), busybox 1.29.3-r10 (every fix at or below).
      'trivy-test-images/alpine-39.tar.gz',
      [
        ...['libcrypto1.1', 'libssl1.1'].flatMap((p) =>
          ['CVE-2019-1547', 'CVE-2019-1549', 'CVE-2019-1563'].map((id) => `${p} 1.1.1b-r1 ${id} 1.1.1d-r0`),
        ),
        'musl 1.1.20-r4 CVE-2019-14697 1.1.20-r5',
        'musl-utils 1.1.20-r4 CVE-2019-14697 1.1.20-r5',
      ],
    ],
    [
      // 3.10.2: openssl 1.1.1c-r0 (1.1.1d-r0: 1547/1549/1563), musl 1.1.22-r3 and busybox
      // 1.30.1-r2 are exactly the fixed versions.
      'trivy-test-images/alpine-310.tar.gz',
      ['libcrypto1.1', 'libssl1.1'].flatMap((p) =>
        ['CVE-2019-1547', 'CVE-2019-1549', 'CVE-2019-1563'].map((id) => `${p} 1.1.1c-r0 ${id} 1.1.1d-r0`),
      ),
    ],
    // 3.11.5: openssl 1.1.1d-r3, musl 1.1.24-r2, busybox 1.31.1-r9 are past every listed fix.
    ['trivy-fanal/alpine-311.tar.gz', []],
  ])('%s', async (image, expected) => {
    const inventory = await inventoryOf(`docker-archive:${sharedData('image-fixtures', image)}`);
    expect(rows(db, inventory, (s) => ['openssl', 'musl', 'busybox'].includes(s))).toEqual(
      [...expected].sort(),
    );
  });
});

describe('Debian packages match by source name and source version', () => {
  it('gcc from gcc-defaults and a binNMU libc6 match source advisories, never binary-version ones', async () => {
    const root = path.join(work, 'debian-root');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await mkdir(path.join(root, 'var/lib/dpkg'), { recursive: true });
    await writeFile(
      path.join(root, 'etc/os-release'),
      'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
    );
    await writeFile(
      path.join(root, 'var/lib/dpkg/status'),
      [
        'Package: gcc\nStatus: install ok installed\nArchitecture: amd64\nSource: gcc-defaults (1.203)\nVersion: 4:12.2.0-3\n',
        'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc (2.36-9)\nVersion: 2.36-9+b1\n',
      ].join('\n'),
    );
    const adv = (id: string, name: string, fixed: string): OsvRecord => ({
      id,
      modified: '2024-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'Debian:12', name },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
        },
      ],
    });
    const db = openVulnDb(path.join(work, 'debian.db'));
    try {
      db.importRecords(
        [
          adv('DEBIAN-SRC-1', 'gcc-defaults', '1.204'), // source 1.203 < 1.204: affected
          adv('DEBIAN-SRC-2', 'gcc-defaults', '1.203'), // fixed at the installed source version
          adv('DEBIAN-BIN-1', 'gcc', '4:12.2.0-4'), // names the binary: never consulted
          adv('DEBIAN-SRC-3', 'glibc', '2.36-9+b1'), // source 2.36-9 < 2.36-9+b1: affected (binary is not)
          adv('DEBIAN-SRC-4', 'glibc', '2.36-9'), // fixed at the source version (binary 2.36-9+b1 is above)
        ],
        { name: 'test', kind: 'test', location: 'test' },
      );
      const inventory = await inventoryOf(`rootfs:${root}`);
      expect(rows(db, inventory, () => true)).toEqual([
        'gcc 4:12.2.0-3 DEBIAN-SRC-1 1.204',
        'libc6 2.36-9+b1 DEBIAN-SRC-3 2.36-9+b1',
      ]);
    } finally {
      db.close();
    }
  });
});

describe('language packages against the staged PyPA and Go databases', () => {
  let db: VulnDb;
  beforeAll(async () => {
    db = openVulnDb(path.join(work, 'lang.db'));
    await importFeeds(db, [
      sharedData('osv-pypi', 'pypa-advisory-database-vulns.tar.gz'),
      sharedData('osv-go', 'golang-vulndb-osv.tar.gz'),
    ]);
  }, 120_000);
  afterAll(() => {
    db.close();
  });

  it('a Python image built with umoci (old jinja2 and django) gets their advisories', async () => {
    const layout = path.join(work, 'py-layout');
    const bundle = path.join(work, 'py-bundle');
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', `${layout}:py`]);
    await run('umoci', ['unpack', '--rootless', '--image', `${layout}:py`, bundle]);
    const site = path.join(bundle, 'rootfs/usr/lib/python3.11/site-packages');
    for (const [name, version] of [
      ['Jinja2', '2.10'],
      ['Django', '2.2'],
    ] as const) {
      const dir = path.join(site, `${name}-${version}.dist-info`);
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, 'METADATA'),
        `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
      );
    }
    await run('umoci', ['repack', '--image', `${layout}:py`, bundle]);
    const found = matchInventory(await inventoryOf(`oci:${layout}:py`), db).findings;
    const ids = (pkg: string) =>
      found.filter((f) => f.package.name.toLowerCase() === pkg).flatMap((f) => [f.id, ...f.aliases]);
    // PYSEC-2019-217: jinja2 < 2.10.1 (sandbox escape, CVE-2019-10906).
    expect(ids('jinja2')).toContain('PYSEC-2019-217');
    // PYSEC-2019-79: django 2.2 before 2.2.2 (CVE-2019-12308).
    expect(ids('django')).toContain('PYSEC-2019-79');
    const jinja = found.find((f) => f.recordIds.includes('PYSEC-2019-217'));
    expect(jinja?.fixedVersion).toBe('2.10.1');
  });

  it("a Go binary built with Debian's golang-go gets the advisories of its standard library", async () => {
    const src = path.join(work, 'gosrc');
    await mkdir(src, { recursive: true });
    await writeFile(path.join(src, 'go.mod'), 'module example.com/scanme\n\ngo 1.19\n');
    await writeFile(
      path.join(src, 'main.go'),
      'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n',
    );
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: work,
      GOCACHE: path.join(repoRoot, '.cache', 'go-build'),
      GOPATH: path.join(work, 'gopath'),
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
      GOFLAGS: '-mod=mod',
    };
    const goVersion = (await run('go', ['env', 'GOVERSION'], { env, cwd: src })).stdout.trim();
    const root = path.join(work, 'go-root');
    await mkdir(path.join(root, 'usr/local/bin'), { recursive: true });
    await run('go', ['build', '-o', path.join(root, 'usr/local/bin/scanme'), '.'], { env, cwd: src });
    const found = matchInventory(await inventoryOf(`rootfs:${root}`), db).findings.filter(
      (f) => f.package.name === 'stdlib',
    );
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => f.installedVersion === `v${goVersion.replace(/^go/, '')}`)).toBe(true);
    // GO-2023-1751 (CVE-2023-24539, html/template): stdlib before 1.19.9, and 1.20.0 to 1.20.4.
    if (goVersion === 'go1.19.8') {
      const f = found.find((x) => x.recordIds.includes('GO-2023-1751'));
      expect(f?.fixedVersion).toBe('1.19.9');
    }
  }, 180_000);
});
