// matchInventory over the real SQLite advisory store, with every package shape the inventory
// produces (src/testing/sbom-inventories.ts MIXED: Debian 12 with deb, apk, rpm and language
// packages).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIXED } from '../../testing/sbom-inventories.js';
import { openVulnDb, type OsvRecord, type VulnDb } from '../../vulndb/index.js';
import { matchInventory } from './match.js';

const MODIFIED = '2024-01-01T00:00:00Z';

function rec(
  id: string,
  ecosystem: string,
  name: string,
  fixed: string,
  extra: Partial<OsvRecord> = {},
): OsvRecord {
  return {
    id,
    modified: MODIFIED,
    affected: [
      {
        package: { ecosystem, name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      },
    ],
    ...extra,
  };
}

const RECORDS: readonly OsvRecord[] = [
  rec('DEBIAN-CVE-2024-0001', 'Debian:12', 'openssl', '3.0.13-1~deb12u1', { aliases: ['CVE-2024-0001'] }),
  rec('DSA-5600-1', 'Debian:12', 'openssl', '3.0.13-1~deb12u1', { aliases: ['CVE-2024-0001'] }),
  rec('DEBIAN-CVE-2024-0002', 'Debian:12', 'gcc-12', '12.2.0-15', { aliases: ['CVE-2024-0002'] }),
  rec('GHSA-0000-0000-0001', 'npm', '@babel/core', '7.23.3', { aliases: ['CVE-2024-0003'] }),
  rec('GHSA-0000-0000-0002', 'npm', 'lodash', '4.17.22'),
  rec('PYSEC-2024-1', 'PyPI', 'pyyaml', '6.0.2'),
  rec('GO-2024-0001', 'Go', 'github.com/sirupsen/logrus', '1.9.4'),
  rec('GHSA-0000-0000-0003', 'Maven', 'org.apache.commons:commons-lang3', '3.18.0'),
  rec('RUSTSEC-2024-0001', 'crates.io', 'serde', '1.0.200'),
  rec('GHSA-0000-0000-0004', 'RubyGems', 'rack', '3.0.9'),
  rec('GHSA-0000-0000-0005', 'Packagist', 'symfony/console', '6.4.2'),
  rec('GHSA-0000-0000-0006', 'NuGet', 'Newtonsoft.Json', '13.0.4'),
  // Fixed below what is installed, withdrawn, or for another release: no findings.
  rec('GHSA-0000-0000-0007', 'npm', 'left-pad', '1.2.0'),
  rec('GHSA-0000-0000-0008', 'npm', 'left-pad', '9.0.0', { withdrawn: '2024-02-01T00:00:00Z' }),
  rec('DEBIAN-CVE-2024-0009', 'Debian:11', 'openssl', '9.9'),
];

describe('matchInventory over the SQLite store', () => {
  let dir: string;
  let db: VulnDb;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-match-'));
    db = openVulnDb(path.join(dir, 'db.sqlite'));
    db.importRecords(RECORDS, { name: 'test', kind: 'osv-file', location: 'memory' });
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds each ecosystem by its advisory name and merges the DSA into its CVE', () => {
    const { findings, warnings } = matchInventory(MIXED, db);
    const rows = findings.map(
      (f) => `${f.ecosystem} ${f.package.name} ${f.id} ${f.fixedVersion ?? '-'} [${f.aliases.join(' ')}]`,
    );
    expect([...rows].sort()).toEqual(
      [
        'Debian:12 libssl3 CVE-2024-0001 3.0.13-1~deb12u1 [DEBIAN-CVE-2024-0001 DSA-5600-1]',
        // libgcc-s1 (source version 12.2.0-14) and libstdc++6 (no source version: its own).
        'Debian:12 libgcc-s1 CVE-2024-0002 12.2.0-15 [DEBIAN-CVE-2024-0002]',
        'Debian:12 libstdc++6 CVE-2024-0002 12.2.0-15 [DEBIAN-CVE-2024-0002]',
        'npm core CVE-2024-0003 7.23.3 [GHSA-0000-0000-0001]',
        // Two copies of lodash in different places: one finding each.
        'npm lodash GHSA-0000-0000-0002 4.17.22 []',
        'npm lodash GHSA-0000-0000-0002 4.17.22 []',
        'PyPI PyYAML PYSEC-2024-1 6.0.2 []',
        'Go logrus GO-2024-0001 1.9.4 []',
        'Maven commons-lang3 GHSA-0000-0000-0003 3.18.0 []',
        'crates.io serde RUSTSEC-2024-0001 1.0.200 []',
        'RubyGems rack GHSA-0000-0000-0004 3.0.9 []',
        'Packagist console GHSA-0000-0000-0005 6.4.2 []',
        'NuGet Newtonsoft.Json GHSA-0000-0000-0006 13.0.4 []',
      ].sort(),
    );
    // apk and rpm packages on a Debian image have no advisory ecosystem.
    expect(warnings).toEqual([
      'no advisory ecosystem for apk packages on debian 12: not matched',
      'no advisory ecosystem for rpm packages on debian 12: not matched',
    ]);
  });
});
