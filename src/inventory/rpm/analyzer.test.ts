import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImageSource, type Image } from '../../oci/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { imageOfFiles, type TreeFiles } from '../../testing/inventory-trees.js';
import { buildInventory } from '../inventory.js';
import type { Inventory, Package } from '../types.js';
import { rpmAnalyzer } from './analyzer.js';
import { readSqlitePackages } from './sqlite.js';

// The analyzer through the inventory runner: rpm databases placed in small images (the shared
// fixtures, with the os-release of their distribution), and a real root filesystem whose
// database Debian's rpm makes in the test from packages rpmbuild builds from a spec written here.

const FIXTURES = sharedData('pkgdb-fixtures', 'rpm');
const fixture = (...p: string[]): Buffer => readFileSync(path.join(FIXTURES, ...p));
const expected = (dir: string): string[] =>
  readFileSync(path.join(FIXTURES, dir, 'EXPECTED-rpm-qa.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l !== '');

const noRegistry = (): never => {
  throw new Error('this test reads local images only');
};

function inventoryOf(image: Image): Promise<Inventory> {
  return buildInventory(image, { analyzers: [rpmAnalyzer] });
}

async function inventoryOfFiles(...layers: TreeFiles[]): Promise<Inventory> {
  return inventoryOf(await imageOfFiles(...layers));
}

/** The columns of EXPECTED-rpm-qa.tsv: NAME EPOCHNUM VERSION RELEASE ARCH SOURCERPM LICENSE. */
function qaRows(packages: readonly Package[]): string[] {
  return packages
    .map((p) =>
      [
        p.name,
        p.metadata?.['epoch'] ?? '0',
        p.metadata?.['version'],
        p.metadata?.['release'],
        p.arch ?? '(none)',
        p.metadata?.['sourceRpm'] ?? '(none)',
        p.licenses[0] ?? '(none)',
      ].join('\t'),
    )
    .sort();
}

function named(inv: Inventory, name: string): Package {
  const p = inv.packages.find((x) => x.name === name);
  if (p === undefined) throw new Error(`no package ${name} in the inventory`);
  return p;
}

const osRelease = (id: string, version: string): string => `ID="${id}"\nVERSION_ID="${version}"\n`;

describe('rpm analyzer on the shared database fixtures', () => {
  it('lists exactly what rpm -qa lists for CBL-Mariner 2.0 (SQLite), with purls for the distribution', async () => {
    const inv = await inventoryOfFiles({
      'etc/os-release': osRelease('mariner', '2.0'),
      'var/lib/rpm/rpmdb.sqlite': fixture('cbl-mariner-2.0', 'rpmdb.sqlite'),
    });
    expect(inv.gaps).toEqual([]);
    expect(inv.packages).toHaveLength(129);
    expect(qaRows(inv.packages)).toEqual(expected('cbl-mariner-2.0'));
    const bash = named(inv, 'bash');
    expect(bash).toMatchObject({
      type: 'rpm',
      version: '5.1.8-1.cm2',
      arch: 'x86_64',
      purl: 'pkg:rpm/mariner/bash@5.1.8-1.cm2?arch=x86_64&distro=mariner-2.0',
      source: { name: 'bash', version: '5.1.8-1.cm2' },
      licenses: ['GPLv3'],
      location: { path: 'var/lib/rpm/rpmdb.sqlite', layerIndex: 0 },
      metadata: { version: '5.1.8', release: '1.cm2', vendor: 'Microsoft Corporation' },
    });
    expect(bash.files).toContain('bin/bash');
    const ca = named(inv, 'ca-certificates-base');
    expect([ca.version, ca.purl, ca.source]).toEqual([
      '1:2.0.0-1.cm2',
      'pkg:rpm/mariner/ca-certificates-base@2.0.0-1.cm2?arch=noarch&distro=mariner-2.0&epoch=1',
      { name: 'ca-certificates', version: '2.0.0-1.cm2' },
    ]);
  });

  it('lists exactly what rpm -qa lists for EL8 libuuid (Berkeley DB)', async () => {
    const inv = await inventoryOfFiles({
      'etc/os-release': osRelease('rhel', '8.8'),
      'var/lib/rpm/Packages': fixture('libuuid-el8', 'Packages'),
    });
    expect(inv.gaps).toEqual([]);
    expect(qaRows(inv.packages)).toEqual(expected('libuuid-el8'));
    expect(named(inv, 'libuuid')).toMatchObject({
      purl: 'pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-8.8',
      source: { name: 'util-linux', version: '2.32.1-42.el8_8' },
      metadata: { vendor: 'Red Hat, Inc.' },
    });
  });

  it('gives the epoch in the version, the metadata and the purl (Berkeley DB with epochs)', async () => {
    const inv = await inventoryOfFiles({ 'var/lib/rpm/Packages': fixture('scalibr-Packages_epoch') });
    expect(inv.gaps).toEqual([]);
    expect(inv.packages.map((p) => [p.name, p.version, p.metadata?.['epoch'], p.purl])).toEqual([
      ['hello', '1:0.0.1-rls', '1', 'pkg:rpm/hello@0.0.1-rls?arch=x86_64&epoch=1'],
    ]);
  });

  it('reads SLE 15 (ndb) once when /var/lib/rpm is a symlink to /usr/lib/sysimage/rpm', async () => {
    const inv = await inventoryOfFiles({
      'etc/os-release': osRelease('sles', '15.3'),
      'usr/lib/sysimage/rpm/Packages.db': fixture('sle15-bci', 'Packages.db'),
      'var/lib/rpm': { symlink: '../../usr/lib/sysimage/rpm' },
    });
    expect(inv.gaps).toEqual([]);
    expect(inv.warnings).toEqual([]);
    expect(inv.packages).toHaveLength(35);
    expect(new Set(inv.packages.map((p) => p.location.path))).toEqual(
      new Set(['usr/lib/sysimage/rpm/Packages.db']),
    );
    expect(named(inv, 'glibc').purl).toBe('pkg:rpm/suse/glibc@2.31-9.3.2?arch=x86_64&distro=sles-15.3');
  });
});

describe('rpm analyzer choosing databases', () => {
  it('reads the newest format when a migration left two in one directory, and says so', async () => {
    const inv = await inventoryOfFiles({
      'var/lib/rpm/rpmdb.sqlite': fixture('cbl-mariner-2.0', 'rpmdb.sqlite'),
      'var/lib/rpm/Packages': fixture('libuuid-el8', 'Packages'),
    });
    expect(inv.packages).toHaveLength(129);
    expect(inv.warnings).toEqual([
      'rpm: var/lib/rpm/Packages (Berkeley DB Packages) ignored: rpm reads the SQLite rpmdb.sqlite beside it',
    ]);
  });

  it('reads databases in both directories when both are real', async () => {
    const inv = await inventoryOfFiles({
      'var/lib/rpm/Packages': fixture('libuuid-el8', 'Packages'),
      'usr/lib/sysimage/rpm/rpmdb.sqlite': fixture('cbl-mariner-2.0', 'rpmdb.sqlite'),
    });
    expect(inv.packages).toHaveLength(130);
    expect(named(inv, 'libuuid').location.path).toBe('var/lib/rpm/Packages');
  });

  it('reports the layer that last wrote the database', async () => {
    const inv = await inventoryOfFiles(
      { 'var/lib/rpm/Packages': fixture('libuuid-el8', 'Packages') },
      { 'etc/motd': 'hello\n' },
      { 'var/lib/rpm/Packages': fixture('scalibr-Packages_epoch') },
    );
    expect(inv.packages.map((p) => [p.name, p.location.layerIndex])).toEqual([['hello', 2]]);
  });
});

describe('rpm analyzer on unreadable databases and headers', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-rpm-analyzer-'));
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  /** An rpm-schema SQLite database holding `blobs` as hnum 1, 2, … */
  function sqliteOf(name: string, blobs: readonly Buffer[]): Buffer {
    const file = path.join(work, `${name}.sqlite`);
    const db = new Database(file);
    try {
      db.exec("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)");
      const insert = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
      blobs.forEach((b, i) => insert.run(i + 1, b));
    } finally {
      db.close();
    }
    return readFileSync(file);
  }

  let good: Buffer = Buffer.alloc(0);
  beforeAll(async () => {
    const records = (await readSqlitePackages(fixture('cbl-mariner-2.0', 'rpmdb.sqlite'))).records;
    good = records.find((r) => r.blob.length > 2000)?.blob ?? Buffer.alloc(0);
  });

  it.each([
    [
      'var/lib/rpm/rpmdb.sqlite',
      'SQLite rpmdb.sqlite not read: SQLite: no "SQLite format 3" header: not an SQLite database',
    ],
    [
      'var/lib/rpm/Packages.db',
      'ndb Packages.db not read: ndb: no "RpmP" magic at byte 0: not an ndb Packages.db',
    ],
    [
      'var/lib/rpm/Packages',
      'Berkeley DB Packages not read: Berkeley DB: no Berkeley DB hash magic (0x061561) at byte 12: not a Berkeley DB file',
    ],
  ])('reports a corrupt %s as a gap naming the file and the reason', async (dbPath, reason) => {
    const inv = await inventoryOfFiles({ [dbPath]: Buffer.alloc(8192, 0x5a) });
    expect(inv.packages).toEqual([]);
    expect(inv.gaps).toEqual([{ analyzer: 'rpm', path: dbPath, reason }]);
  });

  it('reports a format it does not read as a gap', async () => {
    const btree = Buffer.from(fixture('libuuid-el8', 'Packages'));
    btree.writeUInt32LE(0x053162, 12);
    const inv = await inventoryOfFiles({ 'var/lib/rpm/Packages': btree });
    expect(inv.gaps).toEqual([
      {
        analyzer: 'rpm',
        path: 'var/lib/rpm/Packages',
        reason:
          "Berkeley DB Packages not read: Berkeley DB: a btree database; rpm's Packages is a hash database",
      },
    ]);
  });

  it('lists the readable packages and reports each hostile header as a gap with its reason', async () => {
    const truncated = good.subarray(0, good.length - 100);
    const countBeyondData = Buffer.from(good);
    countBeyondData.writeUInt32BE(40000, 0);
    const offsetOutOfRange = Buffer.from(good);
    offsetOutOfRange.writeInt32BE(0x7ffffff0, 8 + 16 * 3 + 8);
    const inv = await inventoryOfFiles({
      'var/lib/rpm/rpmdb.sqlite': sqliteOf('hostile', [good, truncated, countBeyondData, offsetOutOfRange]),
    });
    expect(inv.packages).toHaveLength(1);
    expect(inv.gaps.map((g) => [g.analyzer, g.path])).toEqual(
      Array(3).fill(['rpm', 'var/lib/rpm/rpmdb.sqlite']),
    );
    expect(inv.gaps.map((g) => g.reason)).toEqual([
      expect.stringMatching(
        /^package header 2 skipped: rpm header: truncated: \d+ index entries and \d+ data bytes need \d+ bytes, the blob has \d+$/,
      ),
      expect.stringMatching(/^package header 3 skipped: rpm header: truncated: 40000 index entries/),
      expect.stringMatching(
        /^package header 4 skipped: rpm header: entry 3 \(.*offset 2147483632.*\): offset outside the \d+-byte data store$/,
      ),
    ]);
  });

  it('caps the gaps of one database at 20 and counts the rest', async () => {
    const junk = Array.from({ length: 25 }, () => Buffer.from([0, 0, 0, 1]));
    const inv = await inventoryOfFiles({ 'var/lib/rpm/rpmdb.sqlite': sqliteOf('junk', junk) });
    expect(inv.gaps).toHaveLength(21);
    expect(inv.gaps[20]?.reason).toBe('5 more unreadable records in this database');
  });

  it('reports database records that could not be read as gaps', async () => {
    const ndb = Buffer.from(fixture('sle15-bci', 'Packages.db'));
    const at = ndb.readUInt32LE(32 + 8) * 16 + 100;
    ndb[at] = (ndb[at] ?? 0) ^ 0xff;
    const inv = await inventoryOfFiles({ 'var/lib/rpm/Packages.db': ndb });
    expect(inv.packages).toHaveLength(34);
    expect(inv.gaps).toEqual([
      {
        analyzer: 'rpm',
        path: 'var/lib/rpm/Packages.db',
        reason: 'ndb Packages.db: package 1 (slot 2): adler32 checksum mismatch (corrupt blob); skipped',
      },
    ]);
  });
});

describe('rpm analyzer on a database with a pending write-ahead log', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-rpm-wal-'));
  const cacheBefore = process.env['PORTCULLIS_CACHE_DIR'];
  afterAll(() => {
    if (cacheBefore === undefined) delete process.env['PORTCULLIS_CACHE_DIR'];
    else process.env['PORTCULLIS_CACHE_DIR'] = cacheBefore;
    rmSync(work, { recursive: true, force: true });
  });

  it('reads the packages still in rpmdb.sqlite-wal, through a temporary copy under the cache directory that is removed', async () => {
    const records = (await readSqlitePackages(fixture('cbl-mariner-2.0', 'rpmdb.sqlite'))).records;
    const file = path.join(work, 'rpmdb.sqlite');
    const db = new Database(file);
    let main: Buffer;
    let wal: Buffer;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('wal_autocheckpoint = 0');
      db.exec("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)");
      db.pragma('wal_checkpoint(TRUNCATE)');
      const insert = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
      for (const r of records) insert.run(r.instance, r.blob);
      // Copied before close, as an image built while rpm's database was open would hold them.
      main = readFileSync(file);
      wal = readFileSync(`${file}-wal`);
    } finally {
      db.close();
    }
    process.env['PORTCULLIS_CACHE_DIR'] = path.join(work, 'cache');
    const inv = await inventoryOfFiles({
      'var/lib/rpm/rpmdb.sqlite': main,
      'var/lib/rpm/rpmdb.sqlite-wal': wal,
    });
    expect(inv.gaps).toEqual([]);
    expect(qaRows(inv.packages)).toEqual(expected('cbl-mariner-2.0'));
    expect(readdirSync(path.join(work, 'cache', 'tmp'))).toEqual([]);
  });
});

describe('rpm analyzer on a database made by rpm', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-rpmbuild-'));
  const root = path.join(work, 'root');
  const QF = '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\n';
  const rpm = (...args: string[]): string =>
    execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  // pc-tools (Epoch 7) also builds pc-tools-libs, whose source rpm is pc-tools'; pc-data has no
  // epoch. All noarch, so rpm installs them on any machine.
  const specs: Readonly<Record<string, string>> = {
    'pc-tools.spec': `Name: pc-tools
Version: 1.2.3
Release: 4.pc1
Epoch: 7
Summary: Portcullis test tools
License: MIT
Vendor: Portcullis Tests
BuildArch: noarch
%description
Test package with an epoch.
%package libs
Summary: Portcullis test library
License: Apache-2.0
%description libs
Built from the pc-tools source package.
%install
mkdir -p %{buildroot}/usr/share/pc-tools %{buildroot}/usr/lib/pc-tools
echo tools > %{buildroot}/usr/share/pc-tools/README
echo libs > %{buildroot}/usr/lib/pc-tools/libpc.txt
%files
%dir /usr/share/pc-tools
/usr/share/pc-tools/README
%files libs
/usr/lib/pc-tools/libpc.txt
`,
    'pc-data.spec': `Name: pc-data
Version: 2024.1
Release: 1
Summary: Portcullis test data
License: CC0-1.0
BuildArch: noarch
%description
Test package without an epoch.
%install
mkdir -p %{buildroot}/etc
echo data > %{buildroot}/etc/pc-data.conf
%files
%config /etc/pc-data.conf
`,
  };

  beforeAll(() => {
    const top = path.join(work, 'rpmbuild');
    for (const [name, spec] of Object.entries(specs)) {
      writeFileSync(path.join(work, name), spec);
      execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', path.join(work, name)], {
        stdio: 'ignore',
      });
    }
    mkdirSync(root);
    rpm('--initdb');
    const built = execFileSync('find', [path.join(top, 'RPMS'), '-name', '*.rpm'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '');
    rpm('-i', '--nodeps', '--noscripts', '--ignorearch', ...built);
    // An imported signing key becomes a gpg-pubkey pseudo-package, which rpm -qa lists too.
    const gnupg = path.join(work, 'gnupg');
    mkdirSync(gnupg, { mode: 0o700 });
    const gpg = (...args: string[]): Buffer =>
      execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
        env: { ...process.env, GNUPGHOME: gnupg },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    gpg('--quick-gen-key', 'Portcullis Test <test@example.invalid>', 'ed25519', 'sign', 'never');
    writeFileSync(path.join(work, 'key.asc'), gpg('--armor', '--export'));
    rpm('--import', path.join(work, 'key.asc'));
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('lists what rpm -qa lists for the same root, signing keys included', async () => {
    const source = await openImageSource(`rootfs:${root}`, { registry: noRegistry });
    try {
      const inv = await inventoryOf(await source.open());
      expect(inv.gaps).toEqual([]);
      const fromRpm = rpm('-qa', '--qf', QF)
        .split('\n')
        .filter((l) => l !== '')
        .sort();
      expect(fromRpm).toHaveLength(4);
      expect(qaRows(inv.packages)).toEqual(fromRpm);
      const key = named(inv, 'gpg-pubkey');
      expect([key.arch, key.source, key.licenses, key.files]).toEqual([undefined, undefined, ['pubkey'], []]);
      expect(key.purl).toBe(`pkg:rpm/gpg-pubkey@${key.version}`);
      const built = inv.packages.filter((p) => p !== key);
      expect(built.map((p) => [p.name, p.version, p.source, p.purl, p.files])).toEqual([
        [
          'pc-data',
          '2024.1-1',
          { name: 'pc-data', version: '2024.1-1' },
          'pkg:rpm/pc-data@2024.1-1?arch=noarch',
          ['etc/pc-data.conf'],
        ],
        [
          'pc-tools',
          '7:1.2.3-4.pc1',
          { name: 'pc-tools', version: '1.2.3-4.pc1' },
          'pkg:rpm/pc-tools@1.2.3-4.pc1?arch=noarch&epoch=7',
          ['usr/share/pc-tools/README'],
        ],
        [
          'pc-tools-libs',
          '7:1.2.3-4.pc1',
          { name: 'pc-tools', version: '1.2.3-4.pc1' },
          'pkg:rpm/pc-tools-libs@1.2.3-4.pc1?arch=noarch&epoch=7',
          ['usr/lib/pc-tools/libpc.txt'],
        ],
      ]);
      expect(named(inv, 'pc-tools').metadata).toMatchObject({ epoch: '7', vendor: 'Portcullis Tests' });
      expect(new Set(inv.packages.map((p) => p.location.path))).toEqual(
        new Set(['var/lib/rpm/rpmdb.sqlite']),
      );
    } finally {
      await source.close();
    }
  });
});
