// Matching an inventory against stored advisories: for each package, the records filed under
// its ecosystem and advisory name, evaluated by OSV semantics (evaluate.ts), with the distro
// status keys honoured, merged per vulnerability across ids and aliases, rated, and sorted.
import type { Inventory, Package } from '../../inventory/index.js';
import { isOsPackageType, normalizePythonName } from '../../inventory/index.js';
import { getScheme, type VersionScheme } from '../../version/index.js';
import {
  PORTCULLIS_KEYS,
  type AdvisorySource,
  type OsvAffected,
  type OsvRecord,
} from '../../vulndb/index.js';
import { compareSeverity, selectSeverity, type MatchedRecord } from '../severity/select.js';
import type { Finding, FindingStatus, SeveritySource } from '../types.js';
import { advisoryNameFor, ecosystemFor, schemeIdForEcosystem } from './ecosystem.js';
import { isAffected } from './evaluate.js';

/** How matching rates and reports. */
export type MatchOptions = {
  /** Severity sources, first found wins (default DEFAULT_SEVERITY_ORDER). */
  readonly severityOrder?: readonly SeveritySource[];
};

/** What matching found: findings sorted most severe first, and what could not be evaluated. */
export type MatchResult = {
  readonly findings: readonly Finding[];
  readonly warnings: readonly string[];
};

/** One record that affects the package. */
type Hit = {
  readonly record: OsvRecord;
  readonly affected: readonly OsvAffected[];
  readonly ecosystem: string;
  readonly fixed: string | undefined;
  readonly status: FindingStatus | undefined;
  readonly rawStatus: string | undefined;
  readonly scheme: VersionScheme;
};

const STATUSES: ReadonlySet<string> = new Set([
  'affected',
  'fixed',
  'not_affected',
  'will_not_fix',
  'under_investigation',
]);

function stringIn(bag: Readonly<Record<string, unknown>> | undefined, key: string): string | undefined {
  const v = bag?.[key];
  return typeof v === 'string' ? v : undefined;
}

function statusOf(a: OsvAffected): FindingStatus | undefined {
  const s =
    stringIn(a.ecosystem_specific, PORTCULLIS_KEYS.status) ??
    stringIn(a.database_specific, PORTCULLIS_KEYS.status);
  return s !== undefined && STATUSES.has(s) ? (s as FindingStatus) : undefined;
}

function rawStatusOf(a: OsvAffected): string | undefined {
  return (
    stringIn(a.ecosystem_specific, PORTCULLIS_KEYS.rawStatus) ??
    stringIn(a.database_specific, PORTCULLIS_KEYS.rawStatus)
  );
}

function sameName(ecosystem: string, a: string, b: string): boolean {
  if (ecosystem === 'PyPI') return normalizePythonName(a) === normalizePythonName(b);
  if (ecosystem === 'Packagist') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

// `upstream` names the vulnerability a distribution record is about (osv.dev's `UBUNTU-CVE-…`
// and `DEBIAN-CVE-…` records carry their CVE there rather than in `aliases`).
function idsOf(r: OsvRecord): string[] {
  return [...new Set([r.id, ...(r.aliases ?? []), ...(r.upstream ?? [])])];
}

function cvesOf(r: OsvRecord): string[] {
  return [...new Set(idsOf(r).filter((id) => id.startsWith('CVE-')))];
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Larger of two fixed versions under a scheme; the one that parses when the other does not. */
function laterFix(scheme: VersionScheme, a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  try {
    return scheme.compare(a, b) >= 0 ? a : b;
  } catch {
    return a;
  }
}

type PackageMatch = { readonly hits: Hit[]; readonly notAffectedIds: Set<string> };

function evaluateRecord(
  record: OsvRecord,
  ecosystem: string,
  name: string,
  version: string,
  scheme: VersionScheme,
  out: PackageMatch,
  warnings: string[],
  label: string,
): void {
  const matched: OsvAffected[] = [];
  let fixed: string | undefined;
  let status: FindingStatus | undefined;
  let rawStatus: string | undefined;
  for (const a of record.affected ?? []) {
    if (a.package === undefined || a.package.ecosystem !== ecosystem) continue;
    if (!sameName(ecosystem, a.package.name, name)) continue;
    const s = statusOf(a);
    if (s === 'not_affected') {
      // The distribution says this package is not affected: trust it for this vulnerability.
      const cves = cvesOf(record);
      for (const id of cves.length <= 1 ? idsOf(record) : [record.id]) out.notAffectedIds.add(id);
      continue;
    }
    const hasCriteria = (a.versions?.length ?? 0) > 0 || (a.ranges?.length ?? 0) > 0;
    let affected: boolean;
    let entryFixed: string | undefined;
    if (!hasCriteria) {
      // No ranges and no versions: only the status can say the package is affected.
      affected = s === 'affected' || s === 'will_not_fix' || s === 'under_investigation';
    } else {
      const r = isAffected(a, version, scheme);
      for (const w of r.warnings) warnings.push(`${record.id} (${label}): ${w}`);
      affected = r.affected;
      entryFixed = r.fixedVersion;
    }
    if (!affected) continue;
    matched.push(a);
    fixed = laterFix(scheme, fixed, entryFixed);
    status ??= s;
    rawStatus ??= rawStatusOf(a);
  }
  if (matched.length === 0) return;
  out.hits.push({ record, affected: matched, ecosystem, fixed, status, rawStatus, scheme });
}

/** Groups hits into one list per vulnerability (see matchInventory). */
function groupHits(hits: readonly Hit[]): Hit[][] {
  const single = hits.filter((h) => cvesOf(h.record).length <= 1);
  const multi = hits.filter((h) => cvesOf(h.record).length > 1);
  // Union-find over records that name at most one CVE, joined by any shared id.
  const parent = single.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] ?? r;
    return r;
  };
  const owner = new Map<string, number>();
  single.forEach((h, i) => {
    for (const id of idsOf(h.record)) {
      const j = owner.get(id);
      if (j === undefined) owner.set(id, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, Hit[]>();
  single.forEach((h, i) => {
    const root = find(i);
    const g = groups.get(root);
    if (g === undefined) groups.set(root, [h]);
    else g.push(h);
  });
  const out = [...groups.values()];
  // A record naming several CVEs (a DSA fixing many) joins each of their findings rather than
  // merging them into one; alone when none of its CVEs has a finding of its own.
  for (const h of multi) {
    const roots = new Set<number>();
    for (const cve of cvesOf(h.record)) {
      const j = owner.get(cve);
      if (j !== undefined) roots.add(find(j));
    }
    if (roots.size === 0) out.push([h]);
    else for (const r of roots) groups.get(r)?.push(h);
  }
  return out;
}

function toFinding(
  pkg: Package,
  installed: string,
  group: readonly Hit[],
  order: readonly SeveritySource[] | undefined,
): Finding {
  const sorted = [...group].sort((a, b) => byText(a.record.id, b.record.id));
  const joined = sorted.length > 1;
  const ids = new Set<string>();
  for (const h of sorted) {
    const cves = cvesOf(h.record);
    // A many-CVE record joined to one CVE's finding contributes only its own id.
    for (const id of joined && cves.length > 1 ? [h.record.id] : idsOf(h.record)) ids.add(id);
  }
  const cves = [...ids].filter((id) => id.startsWith('CVE-')).sort(byText);
  const standaloneMulti = sorted.length === 1 && cves.length > 1;
  const first = sorted[0];
  const primary = (!standaloneMulti ? cves[0] : undefined) ?? first?.record.id ?? '';
  const primaryHit =
    sorted.find((h) => h.record.id === primary) ??
    sorted.find((h) => idsOf(h.record).includes(primary)) ??
    first;
  const ordered = primaryHit === undefined ? sorted : [primaryHit, ...sorted.filter((h) => h !== primaryHit)];

  let fixed: string | undefined;
  for (const h of ordered) fixed = laterFix(h.scheme, fixed, h.fixed);
  const statuses = ordered.map((h) => h.status);
  const status: FindingStatus =
    fixed !== undefined
      ? 'fixed'
      : statuses.includes('will_not_fix')
        ? 'will_not_fix'
        : statuses.includes('under_investigation')
          ? 'under_investigation'
          : 'affected';
  const matched: MatchedRecord[] = ordered.map((h) => ({ record: h.record, affected: h.affected }));
  const rating = selectSeverity(matched, isOsPackageType(pkg.type), order);
  const references = [...new Set(ordered.flatMap((h) => (h.record.references ?? []).map((r) => r.url)))].sort(
    byText,
  );
  const published = ordered
    .map((h) => h.record.published)
    .filter((p): p is string => p !== undefined)
    .sort(byText)[0];
  const modified = ordered
    .map((h) => h.record.modified)
    .sort(byText)
    .at(-1);
  return {
    id: primary,
    aliases: [...ids].filter((id) => id !== primary).sort(byText),
    package: pkg,
    installedVersion: installed,
    fixedVersion: fixed,
    status,
    rawStatus: ordered.map((h) => h.rawStatus).find((r) => r !== undefined),
    severity: rating.severity,
    severitySource: rating.source,
    cvssScore: rating.score,
    cvssVector: rating.vector,
    title: ordered.map((h) => h.record.summary).find((s) => s !== undefined && s !== ''),
    description: ordered.map((h) => h.record.details).find((s) => s !== undefined && s !== ''),
    references,
    ecosystem: primaryHit?.ecosystem ?? '',
    recordIds: sorted.map((h) => h.record.id),
    published,
    modified,
  };
}

function labelOf(pkg: Package): string {
  return `${pkg.type} ${pkg.namespace === undefined ? '' : `${pkg.namespace}/`}${pkg.name} ${pkg.version}`;
}

/** Findings of one package. */
function matchPackage(
  pkg: Package,
  inventory: Inventory,
  source: AdvisorySource,
  options: MatchOptions,
  warnings: string[],
): Finding[] {
  const ecosystems = ecosystemFor(pkg, inventory.os);
  if (ecosystems.length === 0) return [];
  const { names, version } = advisoryNameFor(pkg);
  const label = labelOf(pkg);
  const out: PackageMatch = { hits: [], notAffectedIds: new Set() };
  const seen = new Set<string>();
  for (const ecosystem of ecosystems) {
    const schemeId = schemeIdForEcosystem(ecosystem);
    if (schemeId === undefined) continue;
    const scheme = getScheme(schemeId);
    for (const name of names) {
      for (const record of source.advisoriesFor(ecosystem, name)) {
        if (record.withdrawn !== undefined || seen.has(record.id)) continue;
        const before = out.hits.length;
        evaluateRecord(record, ecosystem, name, version, scheme, out, warnings, label);
        if (out.hits.length > before) seen.add(record.id);
      }
    }
  }
  const hits = out.hits.filter(
    (h) => !idsOf(h.record).some((id) => out.notAffectedIds.has(id) && cvesOf(h.record).length <= 1),
  );
  return groupHits(hits).map((g) => toFinding(pkg, pkg.version, g, options.severityOrder));
}

function comparePackagesForFindings(a: Package, b: Package): number {
  return (
    byText(a.name, b.name) ||
    byText(a.version, b.version) ||
    byText(a.purl, b.purl) ||
    byText(a.location.path, b.location.path)
  );
}

/** The order findings are reported in: most severe first, then package, then id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareSeverity(a.severity, b.severity) ||
    comparePackagesForFindings(a.package, b.package) ||
    byText(a.id, b.id)
  );
}

/**
 * Matches every package of an inventory against an advisory source. Each package is looked up
 * under its OSV ecosystem(s) and advisory name (ecosystem.ts); each record's entries for that
 * package are evaluated by OSV semantics; `portcullis_status` is honoured (`not_affected`
 * suppresses the vulnerability, `will_not_fix` and unfixed `affected` are findings without a
 * fixed version); withdrawn records are ignored. Records sharing an id or alias make one finding
 * whose id is the CVE when there is one; a record naming several CVEs joins each of their
 * findings instead of merging them. The fixed version of a merged finding is the highest of its
 * records' fixes (the version that clears them all). Pure: never throws for record content;
 * what could not be evaluated is in `warnings`.
 */
export function matchInventory(
  inventory: Inventory,
  source: AdvisorySource,
  options: MatchOptions = {},
): MatchResult {
  const warnings: string[] = [];
  const findings: Finding[] = [];
  const unsupported = new Set<string>();
  for (const pkg of inventory.packages) {
    if (ecosystemFor(pkg, inventory.os).length === 0) {
      const os = inventory.os;
      unsupported.add(
        `${pkg.type} packages on ${os === undefined ? 'an unknown OS' : `${os.family} ${os.version ?? os.codename ?? ''}`.trim()}`,
      );
      continue;
    }
    findings.push(...matchPackage(pkg, inventory, source, options, warnings));
  }
  for (const u of [...unsupported].sort(byText)) warnings.push(`no advisory ecosystem for ${u}: not matched`);
  findings.sort(compareFindings);
  return { findings, warnings: [...new Set(warnings)] };
}
