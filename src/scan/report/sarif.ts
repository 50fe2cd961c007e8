import type { Suppression } from '../gate/index.js';
import type { Finding, Severity } from '../types.js';
import { compareFindings, compareSeverity } from './order.js';
import type { JsonDocument, ReportInput } from './types.js';

// SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html) as GitHub
// code scanning reads it (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
// one rule per vulnerability id, with `security-severity` as a CVSS-like number GitHub maps to
// critical (≥ 9.0), high (7.0–8.9), medium (4.0–6.9) and low (0.1–3.9); one result per finding.

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

type Level = 'error' | 'warning' | 'note';

const LEVEL: Readonly<Record<Severity, Level>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  negligible: 'note',
  unknown: 'note',
};

// A score inside each GitHub band, for ratings that did not come from a CVSS vector.
const BAND_SCORE: Readonly<Record<Severity, number>> = {
  critical: 9.5,
  high: 8.0,
  medium: 5.5,
  low: 2.0,
  negligible: 0.0,
  unknown: 0.0,
};

/** The number GitHub ranks by: the CVSS score when the severity came from it, else a score in the severity's band. */
export function securitySeverity(f: Finding): number {
  const fromCvss =
    f.severitySource === 'cvss_v4' || f.severitySource === 'cvss_v3' || f.severitySource === 'cvss_v2';
  return fromCvss && f.cvssScore !== undefined ? f.cvssScore : BAND_SCORE[f.severity];
}

/** The SARIF level for a severity: error for critical and high, warning for medium, note below. */
export function sarifLevel(severity: Severity): Level {
  return LEVEL[severity];
}

function isAbsoluteUri(text: string): boolean {
  return URL.canParse(text) && !/\s/.test(text);
}

function packageName(f: Finding): string {
  const p = f.package;
  return p.namespace === undefined || p.namespace === '' ? p.name : `${p.namespace}/${p.name}`;
}

/** An image path as a relative URI reference: each segment percent-encoded. */
function pathUri(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

type Rule = { id: string; findings: Finding[] };

function ruleJson(rule: Rule): JsonDocument {
  const worst = [...rule.findings].sort((a, b) => compareSeverity(a.severity, b.severity))[0];
  const f = worst ?? rule.findings[0];
  if (f === undefined) throw new Error(`rule ${rule.id} without findings`);
  const score = Math.max(...rule.findings.map(securitySeverity));
  const title = f.title ?? rule.id;
  const helpUri =
    f.references.find(isAbsoluteUri) ?? `https://osv.dev/vulnerability/${encodeURIComponent(rule.id)}`;
  const packages = [...new Set(rule.findings.map((x) => `${packageName(x)} ${x.installedVersion}`))];
  const fixed = [...new Set(rule.findings.map((x) => x.fixedVersion).filter((v) => v !== undefined))];
  const helpLines = [
    `Vulnerability ${rule.id}`,
    `Severity: ${f.severity.toUpperCase()}`,
    `Packages: ${packages.join(', ')}`,
    `Fixed versions: ${fixed.length === 0 ? 'none known' : fixed.join(', ')}`,
    ...(f.aliases.length === 0 ? [] : [`Aliases: ${f.aliases.join(', ')}`]),
    `Link: ${helpUri}`,
  ];
  const markdown = [
    `**Vulnerability ${rule.id}**`,
    '',
    '| Severity | Packages | Fixed versions |',
    '| --- | --- | --- |',
    `| ${f.severity.toUpperCase()} | ${packages.join(', ').replace(/\|/g, '\\|')} | ${
      fixed.length === 0 ? 'none known' : fixed.join(', ').replace(/\|/g, '\\|')
    } |`,
    '',
    ...(f.description === undefined ? [] : [f.description, '']),
    `[${rule.id}](${helpUri})`,
  ];
  return {
    id: rule.id,
    name: 'PackageVulnerability',
    shortDescription: { text: title },
    fullDescription: { text: f.description ?? title },
    defaultConfiguration: { level: sarifLevel(f.severity) },
    helpUri,
    help: { text: helpLines.join('\n'), markdown: markdown.join('\n') },
    properties: {
      tags: ['vulnerability', 'security', f.severity.toUpperCase()],
      precision: 'very-high',
      'security-severity': score.toFixed(1),
    },
  };
}

function suppressionJson(s: Suppression): JsonDocument {
  switch (s.by) {
    case 'ignore':
      return {
        kind: 'external',
        state: 'accepted',
        justification: `${s.reason}${s.expires === undefined ? '' : ` (until ${s.expires})`}`,
        properties: { by: 'ignore' },
      };
    case 'vex':
      return {
        kind: 'external',
        state: 'accepted',
        justification: [`VEX ${s.status}`, s.justification, s.impactStatement]
          .filter((x) => x !== undefined)
          .join(': '),
        properties: {
          by: 'vex',
          status: s.status,
          ...(s.justification === undefined ? {} : { justification: s.justification }),
        },
      };
  }
}

function resultJson(f: Finding, ruleIndex: number, suppression: Suppression | undefined): JsonDocument {
  const pkg = f.package;
  const message = [
    `Package: ${packageName(f)}`,
    `Installed Version: ${f.installedVersion}`,
    `Vulnerability ${f.id}`,
    `Severity: ${f.severity.toUpperCase()}`,
    `Fixed Version: ${f.fixedVersion ?? 'none'}`,
    ...(pkg.location.createdBy === undefined ? [] : [`Layer: ${pkg.location.createdBy}`]),
  ].join('\n');
  const uri = pathUri(pkg.location.path);
  return {
    ruleId: f.id,
    ruleIndex,
    level: sarifLevel(f.severity),
    message: { text: message },
    locations: [
      {
        ...(uri === ''
          ? {}
          : {
              physicalLocation: {
                artifactLocation: { uri, uriBaseId: 'ROOTPATH' },
                region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
              },
            }),
        logicalLocations: [
          {
            name: packageName(f),
            ...(pkg.purl === '' ? {} : { fullyQualifiedName: pkg.purl }),
            kind: 'package',
          },
        ],
        message: { text: `${packageName(f)}@${f.installedVersion}` },
      },
    ],
    partialFingerprints: { 'portcullis/v1': `${f.id}|${pkg.purl}|${pkg.location.path}` },
    ...(suppression === undefined ? {} : { suppressions: [suppressionJson(suppression)] }),
    properties: {
      packagePurl: pkg.purl,
      installedVersion: f.installedVersion,
      ...(f.fixedVersion === undefined ? {} : { fixedVersion: f.fixedVersion }),
      ...(pkg.location.diffID === undefined ? {} : { layerDiffID: pkg.location.diffID }),
    },
  };
}

/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF readers: one rule per vulnerability id
 * (help text, level, `security-severity`), one result per finding with the package's file as
 * physical location (relative to the image root, `ROOTPATH`) and its purl as logical location.
 * Suppressed findings are included with a SARIF `suppressions` entry, so readers show them as
 * dismissed rather than open.
 */
export function toSarif(input: ReportInput): JsonDocument {
  const rows: [Finding, Suppression | undefined][] = [
    ...input.results.findings.map((f): [Finding, undefined] => [f, undefined]),
    ...(input.suppressed ?? []).map((s): [Finding, Suppression] => [s.finding, s.suppression]),
  ];
  rows.sort((a, b) => compareFindings(a[0], b[0]));
  const byId = new Map<string, Rule>();
  for (const [f] of rows) {
    const rule = byId.get(f.id) ?? { id: f.id, findings: [] };
    rule.findings.push(f);
    byId.set(f.id, rule);
  }
  const rules = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const tool = input.tool ?? { name: 'portcullis', version: 'unknown' };
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            fullName: `${tool.name} ${tool.version}`,
            version: tool.version,
            rules: rules.map(ruleJson),
          },
        },
        results: rows.map(([f, s]) => resultJson(f, index.get(f.id) ?? -1, s)),
        columnKind: 'utf16CodeUnits',
        originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
        properties: {
          imageName: input.target.name,
          reference: input.target.reference,
          ...(input.target.digest === undefined ? {} : { digest: input.target.digest }),
          ...(input.os === undefined
            ? {}
            : { os: `${input.os.family}${input.os.version === undefined ? '' : ` ${input.os.version}`}` }),
        },
      },
    ],
  };
}
