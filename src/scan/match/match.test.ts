// Matching inventories against an in-memory advisory source: source-package matching for Debian,
// origins for Alpine, statuses, withdrawn records, alias merging, severity and ordering.
import { describe, expect, it } from 'vitest';
import type { Inventory, OsInfo, Package, PackageType } from '../../inventory/index.js';
import {
  PORTCULLIS_KEYS,
  type AdvisorySource,
  type OsvAffected,
  type OsvRecord,
} from '../../vulndb/index.js';
import { matchInventory } from './match.js';

function memorySource(records: readonly OsvRecord[]): AdvisorySource & { readonly asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    advisoriesFor(ecosystem: string, name: string): readonly OsvRecord[] {
      asked.push(`${ecosystem} ${name}`);
      return records.filter(
        (r) =>
          r.withdrawn === undefined &&
          (r.affected ?? []).some((a) => a.package?.ecosystem === ecosystem && a.package.name === name),
      );
    },
  };
}

const DEBIAN: OsInfo = {
  family: 'debian',
  version: '12',
  codename: 'bookworm',
  prettyName: undefined,
  source: 'etc/os-release',
  distroless: false,
};
const ALPINE: OsInfo = {
  family: 'alpine',
  version: '3.19.1',
  codename: undefined,
  prettyName: undefined,
  source: 'etc/os-release',
  distroless: false,
};
const UBUNTU: OsInfo = {
  family: 'ubuntu',
  version: '22.04',
  codename: 'jammy',
  prettyName: undefined,
  source: 'etc/os-release',
  distroless: false,
};

function pkg(type: PackageType, name: string, version: string, extra: Partial<Package> = {}): Package {
  return {
    type,
    name,
    version,
    purl: `pkg:${type}/${name}@${version}`,
    licenses: [],
    location: { path: 'var/lib/dpkg/status', layerIndex: 0, diffID: undefined, createdBy: undefined },
    ...extra,
  };
}

function inventory(os: OsInfo | undefined, ...packages: Package[]): Inventory {
  return { os, packages, gaps: [], warnings: [] };
}

function affected(
  ecosystem: string,
  name: string,
  fixed: string | undefined,
  extra: Partial<OsvAffected> = {},
): OsvAffected {
  return {
    package: { ecosystem, name },
    ranges: [
      {
        type: 'ECOSYSTEM',
        events: fixed === undefined ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed }],
      },
    ],
    ...extra,
  };
}

function record(id: string, entries: OsvAffected[], extra: Partial<OsvRecord> = {}): OsvRecord {
  return { id, modified: '2024-01-01T00:00:00Z', affected: entries, ...extra };
}

const GCC = pkg('deb', 'gcc', '4:12.2.0-3', { source: { name: 'gcc-defaults', version: '1.203' } });
const LIBC = pkg('deb', 'libc6', '2.36-9+b1', { source: { name: 'glibc', version: '2.36-9' } });

describe('matchInventory: Debian source packages', () => {
  it('matches by the source name and version, never by the binary name or version', () => {
    const source = memorySource([
      // Source 1.203 < 1.204: affected. The binary 4:12.2.0-3 (epoch 4) would not be.
      record('CVE-2024-0001', [affected('Debian:12', 'gcc-defaults', '1.204')]),
      // The binary 4:12.2.0-3 is in [4:12.0, 4:12.3); the source 1.203 (epoch 0) is not: no finding.
      record('CVE-2024-0002', [
        {
          package: { ecosystem: 'Debian:12', name: 'gcc-defaults' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '4:12.0' }, { fixed: '4:12.3' }] }],
        },
      ]),
      // Fixed below the source version: no finding.
      record('CVE-2024-0003', [affected('Debian:12', 'gcc-defaults', '1.200')]),
      // Filed under the binary name: never asked for.
      record('CVE-2024-0004', [affected('Debian:12', 'gcc', '5:0')]),
      // binNMU: the fix at the source version 2.36-9 covers the 2.36-9+b1 binary.
      record('CVE-2024-0005', [affected('Debian:12', 'glibc', '2.36-9')]),
      // A later security upload: affected.
      record('CVE-2024-0006', [affected('Debian:12', 'glibc', '2.36-9+deb12u1')]),
      // Fixed at 2.36-9+b1: the binary version equals the fix, but the source 2.36-9 is below it.
      record('CVE-2024-0007', [affected('Debian:12', 'glibc', '2.36-9+b1')]),
      // Wrong release.
      record('CVE-2024-0008', [affected('Debian:11', 'glibc', '9.9')]),
      // Introduced at 2.36-9+b1: the binary version would be in, the source version 2.36-9 is not.
      record('CVE-2024-0009', [
        {
          package: { ecosystem: 'Debian:12', name: 'glibc' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.36-9+b1' }] }],
        },
      ]),
    ]);
    const { findings, warnings } = matchInventory(inventory(DEBIAN, GCC, LIBC), source);
    expect(warnings).toEqual([]);
    expect(findings.map((f) => [f.package.name, f.id, f.fixedVersion, f.installedVersion])).toEqual([
      ['gcc', 'CVE-2024-0001', '1.204', '4:12.2.0-3'],
      ['libc6', 'CVE-2024-0006', '2.36-9+deb12u1', '2.36-9+b1'],
      ['libc6', 'CVE-2024-0007', '2.36-9+b1', '2.36-9+b1'],
    ]);
    expect(source.asked).toEqual(['Debian:12 gcc-defaults', 'Debian:12 glibc']);
    expect(findings.every((f) => f.ecosystem === 'Debian:12' && f.status === 'fixed')).toBe(true);
  });

  it('asks both Ubuntu spellings and matches the LTS one', () => {
    const source = memorySource([
      record('CVE-2024-1000', [affected('Ubuntu:22.04:LTS', 'glibc', '2.36-10')]),
    ]);
    const { findings } = matchInventory(inventory(UBUNTU, LIBC), source);
    expect(source.asked).toEqual(['Ubuntu:22.04 glibc', 'Ubuntu:22.04:LTS glibc']);
    expect(findings.map((f) => [f.id, f.ecosystem])).toEqual([['CVE-2024-1000', 'Ubuntu:22.04:LTS']]);
  });
});

describe('matchInventory: Alpine origins', () => {
  it('matches subpackages by their origin', () => {
    const crypto = pkg('apk', 'libcrypto3', '3.1.4-r5', { source: { name: 'openssl', version: '3.1.4-r5' } });
    const source = memorySource([
      record('CVE-2024-2000', [affected('Alpine:v3.19', 'openssl', '3.1.4-r6')]),
      record('CVE-2024-2001', [affected('Alpine:v3.19', 'openssl', '3.1.4-r5')]),
      record('CVE-2024-2002', [affected('Alpine:v3.19', 'libcrypto3', '9.0.0-r0')]),
      record('CVE-2024-2003', [affected('Alpine:v3.18', 'openssl', '9.0.0-r0')]),
    ]);
    const { findings } = matchInventory(inventory(ALPINE, crypto), source);
    expect(findings.map((f) => [f.id, f.fixedVersion])).toEqual([['CVE-2024-2000', '3.1.4-r6']]);
  });
});

describe('matchInventory: rpm distributions', () => {
  const ROCKY: OsInfo = { ...DEBIAN, family: 'rocky', version: '9.3', codename: undefined };
  const libs = pkg('rpm', 'openssl-libs', '1:3.0.7-24.el9', {
    source: { name: 'openssl', version: '3.0.7-24.el9' },
  });

  it('matches by source rpm name, comparing the binary EVR with its epoch', () => {
    const source = memorySource([
      record('RLSA-2024:0001', [affected('Rocky Linux:9', 'openssl', '1:3.0.7-25.el9')], {
        aliases: ['CVE-2024-8000'],
      }),
      // Without the epoch the installed 1:3.0.7-24 is above 3.0.8: not affected.
      record('RLSA-2024:0002', [affected('Rocky Linux:9', 'openssl', '3.0.8-1.el9')]),
      // Filed under the binary name (as Red Hat does): asked for too.
      record('RLSA-2024:0003', [affected('Rocky Linux:9', 'openssl-libs', '1:3.0.7-27.el9')]),
    ]);
    const { findings } = matchInventory(inventory(ROCKY, libs), source);
    expect(source.asked).toEqual(['Rocky Linux:9 openssl', 'Rocky Linux:9 openssl-libs']);
    expect(findings.map((f) => [f.id, f.fixedVersion])).toEqual([
      ['CVE-2024-8000', '1:3.0.7-25.el9'],
      ['RLSA-2024:0003', '1:3.0.7-27.el9'],
    ]);
  });
});

describe('matchInventory: statuses and withdrawn records', () => {
  const libc = LIBC;
  const status = (s: string, raw?: string): Partial<OsvAffected> => ({
    ecosystem_specific: {
      [PORTCULLIS_KEYS.status]: s,
      ...(raw === undefined ? {} : { [PORTCULLIS_KEYS.rawStatus]: raw }),
    },
  });

  it.each([
    ['not_affected suppresses the finding', status('not_affected', '<not-affected>'), undefined, undefined],
    [
      'will_not_fix is a finding with no fixed version',
      status('will_not_fix', 'no-dsa'),
      'will_not_fix',
      'no-dsa',
    ],
    ['affected and unfixed', status('affected', '<unfixed>'), 'affected', '<unfixed>'],
    ['under investigation', status('under_investigation'), 'under_investigation', undefined],
    ['no status word and no fix', {}, 'affected', undefined],
  ] as const)('%s', (_name, extra, want, raw) => {
    const source = memorySource([
      record('CVE-2024-3000', [affected('Debian:12', 'glibc', undefined, extra)]),
    ]);
    const { findings } = matchInventory(inventory(DEBIAN, libc), source);
    if (want === undefined) {
      expect(findings).toEqual([]);
    } else {
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ status: want, rawStatus: raw, fixedVersion: undefined });
    }
  });

  it('reads status-only entries (no ranges) by their status', () => {
    const bare = (s: string): OsvAffected => ({
      package: { ecosystem: 'Debian:12', name: 'glibc' },
      ...status(s),
    });
    const source = memorySource([
      record('CVE-2024-3100', [bare('will_not_fix')]),
      record('CVE-2024-3101', [bare('fixed')]),
      record('CVE-2024-3102', [bare('not_affected')]),
    ]);
    expect(matchInventory(inventory(DEBIAN, libc), source).findings.map((f) => [f.id, f.status])).toEqual([
      ['CVE-2024-3100', 'will_not_fix'],
    ]);
  });

  it('ignores withdrawn records even when the source returns them', () => {
    const withdrawn = record('GHSA-aaaa-bbbb-cccc', [affected('npm', 'lodash', '4.17.21')], {
      withdrawn: '2024-02-01T00:00:00Z',
    });
    const source: AdvisorySource = { advisoriesFor: () => [withdrawn] };
    expect(matchInventory(inventory(undefined, pkg('npm', 'lodash', '4.17.20')), source).findings).toEqual(
      [],
    );
  });

  it('trusts a distribution not_affected over another record of the same CVE', () => {
    const source = memorySource([
      record('CVE-2024-3200', [affected('Debian:12', 'glibc', undefined, status('not_affected'))]),
      record('DSA-9999-1', [affected('Debian:12', 'glibc', '2.36-9+deb12u9')], {
        aliases: ['CVE-2024-3200'],
      }),
    ]);
    expect(matchInventory(inventory(DEBIAN, libc), source).findings).toEqual([]);
  });
});

describe('matchInventory: merging records of one vulnerability', () => {
  it('merges a CVE record and a DSA aliasing it into one finding with the CVE as id', () => {
    const source = memorySource([
      record('DSA-5000-1', [affected('Debian:12', 'glibc', '2.36-9+deb12u3')], {
        aliases: ['CVE-2024-4000'],
        summary: 'glibc security update',
        references: [{ type: 'ADVISORY', url: 'https://www.debian.org/security/2024/dsa-5000' }],
      }),
      record('CVE-2024-4000', [affected('Debian:12', 'glibc', '2.36-9+deb12u3')], {
        summary: 'buffer overflow in glibc',
        details: 'long text',
        published: '2024-01-05T00:00:00Z',
        modified: '2024-01-10T00:00:00Z',
        references: [{ type: 'WEB', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-4000' }],
      }),
    ]);
    const { findings } = matchInventory(inventory(DEBIAN, LIBC), source);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      id: 'CVE-2024-4000',
      aliases: ['DSA-5000-1'],
      recordIds: ['CVE-2024-4000', 'DSA-5000-1'],
      fixedVersion: '2.36-9+deb12u3',
      title: 'buffer overflow in glibc',
      description: 'long text',
      published: '2024-01-05T00:00:00Z',
      modified: '2024-01-10T00:00:00Z',
      references: [
        'https://nvd.nist.gov/vuln/detail/CVE-2024-4000',
        'https://www.debian.org/security/2024/dsa-5000',
      ],
    });
  });

  it('merges GHSA and PYSEC records through a shared alias, with the CVE as id', () => {
    const source = memorySource([
      record('GHSA-xxxx-yyyy-zzzz', [affected('PyPI', 'jinja2', '3.1.3')], { aliases: ['CVE-2024-22195'] }),
      record('PYSEC-2024-1', [affected('PyPI', 'jinja2', '3.1.3')], { aliases: ['GHSA-xxxx-yyyy-zzzz'] }),
    ]);
    const { findings } = matchInventory(inventory(undefined, pkg('pypi', 'Jinja2', '3.1.2')), source);
    expect(findings.map((f) => [f.id, f.aliases, f.recordIds])).toEqual([
      ['CVE-2024-22195', ['GHSA-xxxx-yyyy-zzzz', 'PYSEC-2024-1'], ['GHSA-xxxx-yyyy-zzzz', 'PYSEC-2024-1']],
    ]);
  });

  it('merges distribution records that name their CVE as upstream', () => {
    const source = memorySource([
      record('UBUNTU-CVE-2024-4100', [affected('Ubuntu:22.04:LTS', 'glibc', '2.36-9ubuntu1')], {
        upstream: ['CVE-2024-4100'],
      }),
      record('USN-7000-1', [affected('Ubuntu:22.04:LTS', 'glibc', '2.36-9ubuntu1')], {
        upstream: ['CVE-2024-4100'],
      }),
    ]);
    const { findings } = matchInventory(inventory(UBUNTU, LIBC), source);
    expect(findings.map((f) => [f.id, f.aliases, f.recordIds])).toEqual([
      ['CVE-2024-4100', ['UBUNTU-CVE-2024-4100', 'USN-7000-1'], ['UBUNTU-CVE-2024-4100', 'USN-7000-1']],
    ]);
  });

  it('keeps distinct CVEs apart when one DSA names both', () => {
    const source = memorySource([
      record('CVE-2024-5001', [affected('Debian:12', 'glibc', '2.36-9+deb12u4')]),
      record('CVE-2024-5002', [affected('Debian:12', 'glibc', '2.36-9+deb12u4')]),
      record('DSA-5100-1', [affected('Debian:12', 'glibc', '2.36-9+deb12u4')], {
        aliases: ['CVE-2024-5001', 'CVE-2024-5002'],
      }),
    ]);
    const { findings } = matchInventory(inventory(DEBIAN, LIBC), source);
    expect(findings.map((f) => [f.id, f.aliases])).toEqual([
      ['CVE-2024-5001', ['DSA-5100-1']],
      ['CVE-2024-5002', ['DSA-5100-1']],
    ]);
  });

  it('reports the fix that clears every merged record', () => {
    const source = memorySource([
      record('CVE-2024-6000', [affected('npm', 'lodash', '4.17.20')]),
      record('GHSA-1111-2222-3333', [affected('npm', 'lodash', '4.17.21')], { aliases: ['CVE-2024-6000'] }),
    ]);
    const { findings } = matchInventory(inventory(undefined, pkg('npm', 'lodash', '4.17.19')), source);
    expect(findings.map((f) => [f.id, f.fixedVersion])).toEqual([['CVE-2024-6000', '4.17.21']]);
  });
});

describe('matchInventory: severity', () => {
  const V3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
  const V2 = 'AV:N/AC:M/Au:N/C:N/I:P/A:N';
  const distroLow: Partial<OsvAffected> = { ecosystem_specific: { [PORTCULLIS_KEYS.severity]: 'low' } };

  function one(
    records: OsvRecord[],
    packages: Package[],
    os: OsInfo | undefined = DEBIAN,
    order?: Parameters<typeof matchInventory>[2],
  ) {
    const { findings } = matchInventory(inventory(os, ...packages), memorySource(records), order);
    expect(findings).toHaveLength(1);
    const f = findings[0];
    if (f === undefined) throw new Error('no finding');
    return [f.severity, f.severitySource, f.cvssScore, f.cvssVector] as const;
  }

  it('prefers the distribution rating for OS packages', () => {
    const r = record('CVE-2024-7000', [affected('Debian:12', 'glibc', undefined, distroLow)], {
      severity: [{ type: 'CVSS_V3', score: V3 }],
    });
    expect(one([r], [LIBC])).toEqual(['low', 'distro', undefined, undefined]);
  });

  it('reads the distro rating under ecosystem_specific.severity, database_specific.severity or an Ubuntu severity', () => {
    const eco = record('CVE-2024-7001', [
      affected('Debian:12', 'glibc', undefined, { ecosystem_specific: { severity: 'unimportant' } }),
    ]);
    expect(one([eco], [LIBC])[0]).toBe('negligible');
    const db = record('CVE-2024-7002', [
      affected('Debian:12', 'glibc', undefined, { database_specific: { severity: 'Important' } }),
    ]);
    expect(one([db], [LIBC])[0]).toBe('high');
    const ubuntu = record('CVE-2024-7003', [affected('Ubuntu:22.04:LTS', 'glibc', undefined)], {
      severity: [{ type: 'Ubuntu', score: 'medium' }],
    });
    expect(one([ubuntu], [LIBC], UBUNTU)).toEqual(['medium', 'distro', undefined, undefined]);
  });

  it('falls back to CVSS v3 computed from the vector, then v2', () => {
    const r3 = record('CVE-2024-7010', [affected('Debian:12', 'glibc', undefined)], {
      severity: [
        { type: 'CVSS_V2', score: V2 },
        { type: 'CVSS_V3', score: V3 },
      ],
    });
    expect(one([r3], [LIBC])).toEqual(['critical', 'cvss_v3', 9.8, V3]);
    const r2 = record('CVE-2024-7011', [affected('Debian:12', 'glibc', undefined)], {
      severity: [{ type: 'CVSS_V2', score: V2 }],
    });
    expect(one([r2], [LIBC])).toEqual(['medium', 'cvss_v2', 4.3, V2]);
  });

  it('prefers a CVSS v4.0 vector over v3 and skips vectors it cannot read', () => {
    const V4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
    const r = record('CVE-2024-7012', [affected('Debian:12', 'glibc', undefined)], {
      severity: [
        { type: 'CVSS_V3', score: V3 },
        { type: 'CVSS_V4', score: 'CVSS:4.0/garbage' },
        { type: 'CVSS_V4', score: V4 },
      ],
    });
    expect(one([r], [LIBC])).toEqual(['high', 'cvss_v4', 8.7, V4]);
  });

  it('uses CVSS before the distro rating for language packages', () => {
    const r = record('GHSA-aaaa-bbbb-0001', [affected('npm', 'lodash', '4.17.21', distroLow)], {
      severity: [{ type: 'CVSS_V3', score: V3 }],
      database_specific: { severity: 'MODERATE' },
    });
    expect(one([r], [pkg('npm', 'lodash', '4.17.20')], undefined)).toEqual(['critical', 'cvss_v3', 9.8, V3]);
  });

  it('falls back to the record rating (GHSA style), then unknown', () => {
    const r = record('GHSA-aaaa-bbbb-0002', [affected('npm', 'lodash', '4.17.21')], {
      database_specific: { severity: 'MODERATE' },
    });
    expect(one([r], [pkg('npm', 'lodash', '4.17.20')], undefined)).toEqual([
      'medium',
      'record',
      undefined,
      undefined,
    ]);
    const bare = record('GHSA-aaaa-bbbb-0003', [affected('npm', 'lodash', '4.17.21')]);
    expect(one([bare], [pkg('npm', 'lodash', '4.17.20')], undefined)).toEqual([
      'unknown',
      'none',
      undefined,
      undefined,
    ]);
  });

  it('follows a configured order', () => {
    const r = record('CVE-2024-7020', [affected('Debian:12', 'glibc', undefined, distroLow)], {
      severity: [{ type: 'CVSS_V3', score: V3 }],
    });
    expect(one([r], [LIBC], DEBIAN, { severityOrder: ['cvss_v3', 'distro'] })).toEqual([
      'critical',
      'cvss_v3',
      9.8,
      V3,
    ]);
    expect(one([r], [LIBC], DEBIAN, { severityOrder: ['record'] })).toEqual([
      'unknown',
      'none',
      undefined,
      undefined,
    ]);
  });
});

describe('matchInventory: order and coverage', () => {
  it('sorts by severity, then package, then id', () => {
    const crit = { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] };
    const source = memorySource([
      record('CVE-2024-0003', [affected('npm', 'b', '2.0.0')], crit),
      record('CVE-2024-0002', [affected('npm', 'a', '2.0.0')]),
      record('CVE-2024-0001', [affected('npm', 'b', '2.0.0')]),
      record('CVE-2024-0004', [affected('npm', 'a', '2.0.0')], crit),
    ]);
    const { findings } = matchInventory(
      inventory(undefined, pkg('npm', 'b', '1.0.0'), pkg('npm', 'a', '1.0.0')),
      source,
    );
    expect(findings.map((f) => `${f.severity} ${f.package.name} ${f.id}`)).toEqual([
      'critical a CVE-2024-0004',
      'critical b CVE-2024-0003',
      'unknown a CVE-2024-0002',
      'unknown b CVE-2024-0001',
    ]);
  });

  it('warns about OS packages it has no ecosystem for and about unreadable versions', () => {
    const source = memorySource([record('GHSA-zzzz-zzzz-zzzz', [affected('npm', 'x', 'banana')])]);
    const { findings, warnings } = matchInventory(
      inventory({ ...DEBIAN, family: 'linuxmint', version: '21' }, LIBC, pkg('npm', 'x', '1.0.0')),
      source,
    );
    expect(findings.map((f) => [f.id, f.fixedVersion])).toEqual([['GHSA-zzzz-zzzz-zzzz', undefined]]);
    expect(warnings).toHaveLength(2);
    expect(warnings.some((w) => w.includes('banana'))).toBe(true);
    expect(warnings.some((w) => w.includes('linuxmint 21'))).toBe(true);
  });
});
