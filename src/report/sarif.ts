import { PROJECT_HOME, ruleDocsUrl } from './docs-url.js';
import { ReportError } from './errors.js';
import type { ToolInfo } from './json.js';
import type { LintFinding, RuleEquivalents, RuleMeta, Severity } from './types.js';

// SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html) as
// GitHub code scanning reads it (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
// one reportingDescriptor per rule that has results, with help text, a help link and
// `security-severity`, a CVSS-like number GitHub maps to critical (≥ 9.0), high (7.0–8.9),
// medium (4.0–6.9) and low (0.1–3.9). The bands and levels match `portcullis scan`'s SARIF so
// one repository's alerts rank the same whichever command raised them.

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** Relative artifact URIs are resolved against the analysed source root (SARIF §3.14.14). */
const SRCROOT = '%SRCROOT%';

export type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Readonly<Record<Severity, SarifLevel>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

// A score inside each GitHub band; info sits below the lowest band, as scan's negligible does.
const BAND_SCORE: Readonly<Record<Severity, number>> = {
  critical: 9.5,
  high: 8.0,
  medium: 5.5,
  low: 2.0,
  info: 0.0,
};

/** The SARIF level for a severity: error for critical and high, warning for medium, note below. */
export function lintSarifLevel(severity: Severity): SarifLevel {
  return LEVEL[severity];
}

/** GitHub's `security-severity` for a lint severity, as the one-decimal string it expects. */
export function lintSecuritySeverity(severity: Severity): string {
  return BAND_SCORE[severity].toFixed(1);
}

const EQUIVALENT_NAMES: readonly [keyof RuleEquivalents, string][] = [
  ['hadolint', 'hadolint'],
  ['trivy', 'Trivy'],
  ['checkov', 'Checkov'],
  ['dockle', 'Dockle'],
  ['kubesec', 'kubesec'],
  ['kubeScore', 'kube-score'],
  ['polaris', 'Polaris'],
  ['kubeaudit', 'kubeaudit'],
  ['rbacTool', 'rbac-tool'],
  ['kubeBench', 'kube-bench (CIS)'],
];

function equivalentsList(eq: RuleEquivalents): string[] {
  return EQUIVALENT_NAMES.flatMap(([key, name]) => {
    const ids = eq[key] ?? [];
    return ids.length === 0 ? [] : [`${name} ${ids.join(', ')}`];
  });
}

/** A SARIF rule `name`: the title in PascalCase (`Base image is untagged` → `BaseImageIsUntagged`). */
function ruleName(title: string): string {
  return title
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => `${w.charAt(0).toUpperCase()}${w.slice(1)}`)
    .join('');
}

// Rule ids say what a rule looks at; the tag lets SARIF viewers filter by it.
function kindTag(id: string): string[] {
  if (id.startsWith('PC-DF-')) return ['dockerfile'];
  if (id.startsWith('PC-IMG-')) return ['image'];
  if (id.startsWith('PC-K8S-')) return ['kubernetes'];
  return [];
}

/** Escapes Markdown and HTML outside `code spans`, which hints use on purpose and keep. */
function escapeMarkdown(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[\\*_[\]<>|]/g, (c) => `\\${c}`)))
    .join('');
}

function ruleJson(rule: RuleMeta): Record<string, unknown> {
  const url = ruleDocsUrl(rule);
  const equivalents = equivalentsList(rule.equivalents);
  const full = `${rule.title}.${equivalents.length === 0 ? '' : ` Equivalent checks: ${equivalents.join('; ')}.`}`;
  return {
    id: rule.id,
    name: ruleName(rule.title),
    shortDescription: { text: rule.title },
    fullDescription: { text: full },
    defaultConfiguration: { level: lintSarifLevel(rule.severity) },
    helpUri: url,
    help: {
      text: [rule.title, `Fix: ${rule.hint}`, `Severity: ${rule.severity}`, `Docs: ${url}`].join('\n'),
      markdown: [
        `**${escapeMarkdown(rule.title)}** (${rule.severity})`,
        '',
        `Fix: ${escapeMarkdown(rule.hint)}`,
        '',
        ...(equivalents.length === 0
          ? []
          : [`Equivalent checks: ${escapeMarkdown(equivalents.join('; '))}`, '']),
        `[${rule.id}](${url})`,
      ].join('\n'),
    },
    properties: {
      tags: ['security', ...kindTag(rule.id), rule.severity],
      precision: 'high',
      'security-severity': lintSecuritySeverity(rule.severity),
    },
  };
}

/**
 * A path as a relative URI reference, each segment percent-encoded (so `nginx:1.25` cannot be
 * read as a URI scheme); absolute paths become `file://` URIs.
 */
export function sarifArtifactLocation(path: string): Record<string, unknown> {
  const segments = path.split('/');
  const encoded = segments
    .filter((s, i) => s !== '' && !(s === '.' && i < segments.length - 1))
    .map(encodeURIComponent)
    .join('/');
  return path.startsWith('/') ? { uri: `file:///${encoded}` } : { uri: encoded, uriBaseId: SRCROOT };
}

function resultJson(f: LintFinding): Record<string, unknown> {
  const location: Record<string, unknown> = {
    physicalLocation: {
      artifactLocation: sarifArtifactLocation(f.path),
      ...(f.line >= 1 ? { region: { startLine: f.line, startColumn: Math.max(1, f.column) } } : {}),
    },
    ...(f.layer === undefined
      ? {}
      : {
          logicalLocations: [
            {
              name: `layer ${f.layer.index}`,
              fullyQualifiedName: `${f.path}@${f.layer.digest}`,
              kind: 'layer',
            },
          ],
        }),
  };
  return {
    level: lintSarifLevel(f.severity),
    message: { text: f.message },
    locations: [location],
    partialFingerprints: {
      'portcullis/v1': [f.ruleId, f.path, f.layer?.digest ?? '', f.message].join('|'),
    },
    properties: {
      severity: f.severity,
      fix: f.hint,
      ...(f.layer === undefined ? {} : { layerIndex: f.layer.index, layerDigest: f.layer.digest }),
    },
  };
}

export type LintSarifOptions = {
  readonly tool: ToolInfo;
  /** Metadata of every rule that may appear in `findings` (more is fine: only used ones are listed). */
  readonly rules: readonly RuleMeta[];
};

/** One SARIF result before the run numbers its rule: everything but `ruleId` and `ruleIndex`. */
export type SarifResult = { readonly ruleId: string; readonly result: Record<string, unknown> };

/**
 * A SARIF 2.1.0 log with one run: `tool.driver.rules` lists the metadata of every rule with
 * results (sorted by id), and each result gets its `ruleId` and `ruleIndex` (in that order,
 * first). Shared by lint and audit so both describe rules the same way.
 *
 * @throws ReportError RULE_UNKNOWN when a result names a rule missing from `knownRules`.
 */
export function toSarifLog(
  tool: ToolInfo,
  knownRules: readonly RuleMeta[],
  results: readonly SarifResult[],
): Record<string, unknown> {
  const known = new Map(knownRules.map((r) => [r.id, r]));
  const used: RuleMeta[] = [];
  for (const id of new Set(results.map((r) => r.ruleId))) {
    const rule = known.get(id);
    if (rule === undefined) {
      throw new ReportError('RULE_UNKNOWN', `finding names rule ${id.slice(0, 40)}, which has no metadata`);
    }
    used.push(rule);
  }
  used.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const index = new Map(used.map((r, i) => [r.id, i]));
  const { name, version } = tool;
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name,
            fullName: `${name} ${version}`,
            version,
            informationUri: PROJECT_HOME,
            rules: used.map(ruleJson),
          },
        },
        results: results.map((r) => ({
          ruleId: r.ruleId,
          ruleIndex: index.get(r.ruleId) ?? -1,
          ...r.result,
        })),
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}

/**
 * SARIF 2.1.0 for `findings`: `tool.driver.rules` lists every rule with results (sorted by id),
 * and each result points at its rule by `ruleIndex`, at its file by a relative URI and
 * line/column region, and for image findings at its layer (a logical location and properties).
 * A finding whose severity differs from its rule's default (a policy override) keeps its own level.
 *
 * @throws ReportError RULE_UNKNOWN when a finding names a rule missing from `options.rules`.
 */
export function toLintSarif(
  findings: readonly LintFinding[],
  options: LintSarifOptions,
): Record<string, unknown> {
  return toSarifLog(
    options.tool,
    options.rules,
    findings.map((f) => ({ ruleId: f.ruleId, result: resultJson(f) })),
  );
}

/** {@link toLintSarif} as indented JSON text with a final newline. */
export function formatLintSarif(findings: readonly LintFinding[], options: LintSarifOptions): string {
  return `${JSON.stringify(toLintSarif(findings, options), undefined, 2)}\n`;
}
