import {
  lintSarifLevel,
  sarifArtifactLocation,
  toSarifLog,
  type RuleMeta,
  type ToolInfo,
} from '../../report/index.js';
import type { AuditReport } from '../engine/audit.js';
import type { AuditFinding } from '../types.js';
import { formatResource } from './text.js';

// The object and the path inside it are logical locations (SARIF §3.33): code-scanning UIs show
// the file and line, and the resource stays attached for readers that group by object.
function resultJson(f: AuditFinding): Record<string, unknown> {
  const resource = formatResource(f.resource);
  return {
    level: lintSarifLevel(f.severity),
    message: { text: `${f.message} (${resource}${f.objectPath === '' ? '' : `, ${f.objectPath}`})` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: sarifArtifactLocation(f.file === '-' ? 'stdin' : f.file),
          ...(f.line >= 1 ? { region: { startLine: f.line } } : {}),
        },
        logicalLocations: [
          {
            name: f.objectPath === '' ? resource : f.objectPath,
            fullyQualifiedName: `${f.resource.apiVersion}/${resource}${f.objectPath === '' ? '' : `#${f.objectPath}`}`,
            kind: 'object',
          },
        ],
      },
    ],
    partialFingerprints: {
      'portcullis/v1': [f.ruleId, f.file, resource, f.objectPath, f.message].join('|'),
    },
    properties: {
      severity: f.severity,
      fix: f.hint,
      resource: { ...f.resource },
      objectPath: f.objectPath,
      ...(f.chain === undefined ? {} : { chain: [...f.chain] }),
    },
  };
}

/**
 * SARIF 2.1.0 for an audit: rules with results (help text and a link to docs/rules/PC-K8S-NNN.md),
 * results at file and line with the object and path as a logical location. Suppressed findings
 * are left out, as code scanning would raise them as alerts.
 *
 * @throws ReportError RULE_UNKNOWN when a finding names a rule missing from `rules`.
 */
export function toAuditSarif(
  report: AuditReport,
  tool: ToolInfo,
  rules: readonly RuleMeta[],
): Record<string, unknown> {
  return toSarifLog(
    tool,
    rules,
    report.findings.map((f) => ({ ruleId: f.ruleId, result: resultJson(f) })),
  );
}

/** {@link toAuditSarif} as indented JSON text with a final newline. */
export function formatAuditSarif(report: AuditReport, tool: ToolInfo, rules: readonly RuleMeta[]): string {
  return `${JSON.stringify(toAuditSarif(report, tool, rules), undefined, 2)}\n`;
}
