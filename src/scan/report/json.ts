import type { Package } from '../../inventory/index.js';
import type { Suppression } from '../gate/index.js';
import type { Finding } from '../types.js';
import { compareFindings, countBySeverity } from './order.js';
import type { JsonDocument, ReportInput } from './types.js';

// The scan JSON format, version 1: docs/scan-json.md describes it and
// src/scan/report/scan-result.schema.json is its JSON Schema. Absent values are left out,
// never written as null. Adding optional fields keeps the version; anything else bumps it.

/** The version of the scan JSON format `toScanJson` writes. */
export const SCAN_JSON_SCHEMA_VERSION = 1;

type Layer = { diffID?: string; createdBy?: string };

function layerOf(pkg: Package): Layer {
  return {
    ...(pkg.location.diffID === undefined ? {} : { diffID: pkg.location.diffID }),
    ...(pkg.location.createdBy === undefined ? {} : { createdBy: pkg.location.createdBy }),
  };
}

function packageJson(pkg: Package): JsonDocument {
  return {
    name: pkg.namespace === undefined || pkg.namespace === '' ? pkg.name : qualified(pkg),
    version: pkg.version,
    type: pkg.type,
    purl: pkg.purl,
    ...(pkg.source === undefined ? {} : { sourceName: pkg.source.name }),
    ...(pkg.source?.version === undefined ? {} : { sourceVersion: pkg.source.version }),
    path: pkg.location.path,
    layer: layerOf(pkg),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function qualified(pkg: Package): string {
  const ns = pkg.namespace ?? '';
  return pkg.type === 'maven' ? `${ns}:${pkg.name}` : `${ns}/${pkg.name}`;
}

function suppressionJson(s: Suppression): JsonDocument {
  switch (s.by) {
    case 'ignore':
      return { by: 'ignore', reason: s.reason, ...(s.expires === undefined ? {} : { expires: s.expires }) };
    case 'vex':
      return {
        by: 'vex',
        status: s.status,
        ...(s.justification === undefined ? {} : { justification: s.justification }),
        ...(s.impactStatement === undefined ? {} : { impactStatement: s.impactStatement }),
        ...(s.document === undefined ? {} : { document: s.document }),
      };
  }
}

function vulnerabilityJson(f: Finding, suppression: Suppression | undefined): JsonDocument {
  const pkg = f.package;
  return {
    id: f.id,
    aliases: [...f.aliases],
    severity: f.severity,
    severitySource: f.severitySource,
    ...(f.cvssScore === undefined ? {} : { cvssScore: f.cvssScore }),
    ...(f.cvssVector === undefined ? {} : { cvssVector: f.cvssVector }),
    status: f.status,
    ...(f.rawStatus === undefined ? {} : { rawStatus: f.rawStatus }),
    packageName: pkg.namespace === undefined || pkg.namespace === '' ? pkg.name : qualified(pkg),
    packageType: pkg.type,
    installedVersion: f.installedVersion,
    ...(f.fixedVersion === undefined ? {} : { fixedVersion: f.fixedVersion }),
    purl: pkg.purl,
    path: pkg.location.path,
    ...(pkg.location.diffID === undefined ? {} : { layer: pkg.location.diffID }),
    ...(pkg.location.createdBy === undefined ? {} : { createdBy: pkg.location.createdBy }),
    ...(f.title === undefined ? {} : { title: f.title }),
    ...(f.description === undefined ? {} : { description: f.description }),
    references: [...f.references],
    ecosystem: f.ecosystem,
    recordIds: [...f.recordIds],
    ...(f.published === undefined ? {} : { published: f.published }),
    ...(f.modified === undefined ? {} : { modified: f.modified }),
    ...(suppression === undefined ? {} : { suppressed: suppressionJson(suppression) }),
  };
}

/**
 * The scan result as JSON (format version 1, see docs/scan-json.md): the artifact, its OS, every
 * package with its layer, and every finding, those a policy accepted marked `suppressed` with the
 * reason or VEX justification. Deterministic: packages and findings are sorted.
 */
export function toScanJson(input: ReportInput): JsonDocument {
  const { target, os, results } = input;
  const packages = [...results.inventory.packages].sort(
    (a, b) => cmp(a.purl, b.purl) || cmp(a.location.path, b.location.path) || cmp(a.name, b.name),
  );
  const rows: [Finding, Suppression | undefined][] = [
    ...results.findings.map((f): [Finding, undefined] => [f, undefined]),
    ...(input.suppressed ?? []).map((s): [Finding, Suppression] => [s.finding, s.suppression]),
  ];
  rows.sort((a, b) => compareFindings(a[0], b[0]));
  return {
    schemaVersion: SCAN_JSON_SCHEMA_VERSION,
    ...(input.tool === undefined ? {} : { tool: { name: input.tool.name, version: input.tool.version } }),
    artifact: {
      name: target.name,
      reference: target.reference,
      ...(target.digest === undefined ? {} : { digest: target.digest }),
    },
    ...(os === undefined
      ? {}
      : { os: { family: os.family, ...(os.version === undefined ? {} : { version: os.version }) } }),
    packages: packages.map(packageJson),
    vulnerabilities: rows.map(([f, s]) => vulnerabilityJson(f, s)),
    summary: { ...countBySeverity(results.findings), suppressed: input.suppressed?.length ?? 0 },
    warnings: [...results.warnings, ...results.inventory.warnings],
  };
}
