import { toCycloneDx, type ImageSubject } from '../../sbom/index.js';
import type { Suppression, VexJustification } from '../gate/index.js';
import type { Finding, Severity } from '../types.js';
import { compareFindings } from './order.js';
import type { JsonDocument, ReportInput } from './types.js';

// CycloneDX 1.6 vulnerabilities (https://cyclonedx.org/docs/1.6/json/#vulnerabilities) added to
// the SBOM the sbom capability writes, so one document carries both the components and what
// is known to affect them.

/** What the CycloneDX report takes: the report input plus the image facts the SBOM needs. */
export type CycloneDxReportInput = ReportInput & {
  readonly image: ImageSubject;
  /** Document time; defaults to now (inject it for reproducible output). */
  readonly timestamp?: Date;
  /** `urn:uuid:…`; defaults to a random one. */
  readonly serialNumber?: string;
};

const CDX_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  negligible: 'info',
  unknown: 'unknown',
};

// OpenVEX justification → CycloneDX 1.6 impactAnalysisJustification (closest meaning).
const CDX_JUSTIFICATION: Readonly<Record<VexJustification, string>> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
};

/** Where a vulnerability id is published, for `source`. */
function sourceOf(id: string): { name: string; url: string } {
  const enc = encodeURIComponent(id);
  if (/^CVE-\d{4}-\d+$/i.test(id)) return { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${enc}` };
  if (/^GHSA-/i.test(id)) return { name: 'GitHub', url: `https://github.com/advisories/${enc}` };
  return { name: 'OSV', url: `https://osv.dev/vulnerability/${enc}` };
}

function methodOf(f: Finding): string {
  const v = f.cvssVector ?? '';
  if (v.startsWith('CVSS:4.0/') || f.severitySource === 'cvss_v4') return 'CVSSv4';
  if (v.startsWith('CVSS:3.1/')) return 'CVSSv31';
  if (v.startsWith('CVSS:3.0/') || f.severitySource === 'cvss_v3') return 'CVSSv3';
  if (f.severitySource === 'cvss_v2') return 'CVSSv2';
  return 'other';
}

function rating(f: Finding): JsonDocument {
  const source = f.severitySource === 'distro' ? { name: f.ecosystem } : undefined;
  return {
    ...(source === undefined ? {} : { source }),
    ...(f.cvssScore === undefined ? {} : { score: f.cvssScore }),
    severity: CDX_SEVERITY[f.severity],
    method: f.severitySource === 'distro' || f.severitySource === 'record' ? 'other' : methodOf(f),
    ...(f.cvssVector === undefined ? {} : { vector: f.cvssVector }),
  };
}

function analysisOf(s: Suppression): JsonDocument {
  switch (s.by) {
    case 'ignore':
      // An accepted risk: CycloneDX has no "accepted" state, so it stays in triage with the reason.
      return {
        state: 'in_triage',
        detail: `Ignored by policy: ${s.reason}${s.expires === undefined ? '' : ` (until ${s.expires})`}`,
      };
    case 'vex':
      if (s.status === 'fixed')
        return {
          state: 'resolved',
          ...(s.impactStatement === undefined ? {} : { detail: s.impactStatement }),
        };
      return {
        state: 'not_affected',
        ...(s.justification === undefined ? {} : { justification: CDX_JUSTIFICATION[s.justification] }),
        detail:
          [s.justification === undefined ? undefined : `OpenVEX: ${s.justification}`, s.impactStatement]
            .filter((x) => x !== undefined)
            .join('. ') || 'OpenVEX: not_affected',
      };
  }
}

function isoTime(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function isUrl(text: string): boolean {
  return URL.canParse(text) && !/\s/.test(text);
}

/** bom-refs of the SBOM's components by purl, and by `purl|path` where a purl repeats. */
function componentRefs(bom: JsonDocument): Set<string> {
  const refs = new Set<string>();
  const components = bom['components'];
  if (Array.isArray(components)) {
    for (const c of components as { 'bom-ref'?: unknown }[]) {
      if (typeof c['bom-ref'] === 'string') refs.add(c['bom-ref']);
    }
  }
  return refs;
}

function imageRef(bom: JsonDocument): string | undefined {
  const meta = bom['metadata'] as { component?: { 'bom-ref'?: unknown } } | undefined;
  const ref = meta?.component?.['bom-ref'];
  return typeof ref === 'string' ? ref : undefined;
}

/**
 * A CycloneDX 1.6 JSON BOM of the image (sbom's `toCycloneDx`) with a `vulnerabilities` array:
 * one entry per vulnerability id (and per suppression, so each entry's analysis is true for all
 * it affects), with source, aliases as references, ratings, advisories, fixed version as
 * recommendation, `affects` pointing at the package components' bom-refs, and for suppressed
 * findings an `analysis` (VEX not_affected / fixed, or an ignore entry's reason).
 *
 * @throws SbomError SBOM_OPTION_INVALID for a malformed serial number or an invalid timestamp.
 */
export function toCycloneDxReport(input: CycloneDxReportInput): JsonDocument {
  const bom = toCycloneDx({
    image: input.image,
    inventory: input.results.inventory,
    tool: input.tool ?? { name: 'portcullis', version: 'unknown' },
    ...(input.timestamp === undefined ? {} : { timestamp: input.timestamp }),
    ...(input.serialNumber === undefined ? {} : { serialNumber: input.serialNumber }),
  });
  const refs = componentRefs(bom);
  const fallback = imageRef(bom);
  const refOf = (f: Finding): string | undefined => {
    const withPath = `${f.package.purl}|${f.package.location.path}`;
    if (refs.has(withPath)) return withPath;
    if (f.package.purl !== '' && refs.has(f.package.purl)) return f.package.purl;
    return fallback;
  };

  const rows: [Finding, Suppression | undefined][] = [
    ...input.results.findings.map((f): [Finding, undefined] => [f, undefined]),
    ...(input.suppressed ?? []).map((s): [Finding, Suppression] => [s.finding, s.suppression]),
  ];
  rows.sort((a, b) => (a[0].id < b[0].id ? -1 : a[0].id > b[0].id ? 1 : compareFindings(a[0], b[0])));
  const groups = new Map<string, { findings: Finding[]; suppression: Suppression | undefined }>();
  for (const [f, s] of rows) {
    const key = `${f.id}\u0000${s === undefined ? '' : JSON.stringify(analysisOf(s))}`;
    const g = groups.get(key) ?? { findings: [], suppression: s };
    g.findings.push(f);
    groups.set(key, g);
  }

  const usedRefs = new Set<string>();
  const vulnerabilities: JsonDocument[] = [];
  for (const { findings, suppression } of groups.values()) {
    const [first] = findings;
    if (first === undefined) continue;
    let bomRef = `vuln:${first.id}`;
    for (let n = 2; usedRefs.has(bomRef); n++) bomRef = `vuln:${first.id}#${n}`;
    usedRefs.add(bomRef);
    const affects = new Map<string, Set<string>>();
    for (const f of findings) {
      const ref = refOf(f);
      if (ref === undefined) continue;
      const versions = affects.get(ref) ?? new Set<string>();
      versions.add(f.installedVersion);
      affects.set(ref, versions);
    }
    const ratings = findings
      .map((f) => JSON.stringify(rating(f)))
      .filter((r, i, all) => all.indexOf(r) === i)
      .map((r) => JSON.parse(r) as JsonDocument);
    const fixed = [...new Set(findings.map((f) => f.fixedVersion).filter((v) => v !== undefined))];
    const advisories = first.references.filter(isUrl);
    const published = isoTime(first.published);
    const updated = isoTime(first.modified);
    vulnerabilities.push({
      'bom-ref': bomRef,
      id: first.id,
      source: sourceOf(first.id),
      ...(first.aliases.length === 0
        ? {}
        : { references: first.aliases.map((a) => ({ id: a, source: sourceOf(a) })) }),
      ratings,
      ...(first.description === undefined && first.title === undefined
        ? {}
        : { description: first.title ?? first.description }),
      ...(first.description === undefined || first.title === undefined ? {} : { detail: first.description }),
      ...(fixed.length === 0 ? {} : { recommendation: `Upgrade to ${fixed.join(' or ')}` }),
      ...(advisories.length === 0 ? {} : { advisories: advisories.map((url) => ({ url })) }),
      ...(published === undefined ? {} : { published }),
      ...(updated === undefined ? {} : { updated }),
      ...(suppression === undefined ? {} : { analysis: analysisOf(suppression) }),
      affects: [...affects].map(([ref, versions]) => ({
        ref,
        versions: [...versions].map((version) => ({
          version,
          status: suppression?.by === 'vex' ? 'unaffected' : 'affected',
        })),
      })),
    });
  }
  return { ...bom, vulnerabilities };
}
