// Test-only: converts the small vulnerability database Trivy's integration goldens were computed
// against (../shared/data/scanner-goldens/fixture-db/*.yaml, Trivy's bolt-bucket YAML) into OSV
// records, so that our scanner can be run against the same data and compared with the goldens.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { OsvAffected, OsvRange, OsvRecord } from '../vulndb/index.js';
import { sharedData } from './fixtures.js';

type Pair = { key?: string; value?: unknown; bucket?: string; pairs?: Pair[] };

type VulnDetail = {
  Title?: string;
  Description?: string;
  Severity?: string;
  LastModifiedDate?: string;
  PublishedDate?: string;
  CVSS?: Record<string, { V3Vector?: string; V2Vector?: string }>;
};

function load(file: string): Pair[] {
  return parse(readFileSync(path.join(sharedData('scanner-goldens', 'fixture-db'), file), 'utf8')) as Pair[];
}

// Trivy's "alpine 3.10" bucket is OSV's Alpine:v3.10.
function ecosystemOfBucket(bucket: string): string | undefined {
  const alpine = /^alpine (\d+\.\d+)$/.exec(bucket);
  if (alpine) return `Alpine:v${alpine[1] ?? ''}`;
  if (bucket === 'cargo::Open Source Vulnerability') return 'crates.io';
  return undefined;
}

// `>= 2.1.3, < 3.0.0` (a patched interval) → the OSV events that make everything else affected.
function rangesFromPatched(patched: readonly string[]): OsvRange[] {
  const intervals = patched
    .map((p) => {
      const lo = />=\s*([^,\s]+)/.exec(p)?.[1];
      const hi = /<\s*([^,\s]+)/.exec(p)?.[1];
      return { lo, hi };
    })
    .filter((i): i is { lo: string; hi: string | undefined } => i.lo !== undefined);
  // Affected: [0, lo1), [hi1, lo2)… with intervals sorted by their upper bound.
  const sorted = [...intervals].sort((a, b) => (a.hi === undefined ? 1 : b.hi === undefined ? -1 : 0));
  const events: OsvRange['events'][number][] = [];
  let start = '0';
  for (const i of sorted) {
    events.push({ introduced: start }, { fixed: i.lo });
    if (i.hi === undefined) break;
    start = i.hi;
  }
  return [{ type: 'ECOSYSTEM', events }];
}

/** OSV records for the fixture database's Alpine and Cargo advisories, with NVD CVSS v3 vectors. */
export function trivyFixtureRecords(): OsvRecord[] {
  const details = new Map<string, VulnDetail>();
  for (const top of load('vulnerability.yaml')) {
    for (const p of top.pairs ?? []) if (p.key !== undefined) details.set(p.key, p.value as VulnDetail);
  }
  const affected = new Map<string, OsvAffected[]>();
  for (const file of ['alpine.yaml', 'rust.yaml']) {
    for (const release of load(file)) {
      const ecosystem = ecosystemOfBucket(release.bucket ?? '');
      if (ecosystem === undefined) continue;
      for (const pkg of release.pairs ?? []) {
        for (const adv of pkg.pairs ?? []) {
          if (adv.key === undefined) continue;
          const v = adv.value as { FixedVersion?: string; PatchedVersions?: string[] };
          const ranges =
            v.FixedVersion !== undefined
              ? [{ type: 'ECOSYSTEM' as const, events: [{ introduced: '0' }, { fixed: v.FixedVersion }] }]
              : rangesFromPatched(v.PatchedVersions ?? []);
          const list = affected.get(adv.key) ?? [];
          list.push({ package: { ecosystem, name: pkg.bucket ?? '' }, ranges });
          affected.set(adv.key, list);
        }
      }
    }
  }
  return [...affected].map(([id, aff]) => {
    const d = details.get(id) ?? {};
    const v3 = d.CVSS?.['nvd']?.V3Vector;
    return {
      id,
      modified: d.LastModifiedDate ?? '2020-01-01T00:00:00Z',
      ...(d.PublishedDate === undefined ? {} : { published: d.PublishedDate }),
      ...(d.Title === undefined ? {} : { summary: d.Title }),
      ...(d.Description === undefined ? {} : { details: d.Description }),
      ...(v3 === undefined ? {} : { severity: [{ type: 'CVSS_V3', score: v3 }] }),
      affected: aff,
      ...(d.Severity === undefined ? {} : { database_specific: { severity: d.Severity } }),
    };
  });
}

/** The (id, package, installed, fixed, severity) rows of a Trivy integration golden. */
export function trivyGoldenRows(golden: string): string[] {
  const doc = JSON.parse(
    readFileSync(sharedData('scanner-goldens', 'integration-goldens', golden), 'utf8'),
  ) as {
    Results?: {
      Vulnerabilities?: {
        VulnerabilityID: string;
        PkgName: string;
        InstalledVersion: string;
        FixedVersion?: string;
        Severity: string;
      }[];
    }[];
  };
  return (doc.Results ?? [])
    .flatMap((r) => r.Vulnerabilities ?? [])
    .map(
      (v) => `${v.VulnerabilityID} ${v.PkgName} ${v.InstalledVersion} ${v.FixedVersion ?? '-'} ${v.Severity}`,
    )
    .sort();
}
