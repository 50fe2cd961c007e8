import { countBySeverity, type LintJsonDocument, type ToolInfo } from '../../report/index.js';
import type { AuditReport, ExpiredIgnore, Suppression } from '../engine/audit.js';
import type { AuditFinding } from '../types.js';

/**
 * One finding in the audit JSON document (docs/audit-json.schema.json): an {@link AuditFinding}'s
 * fields, copied one by one so the document never carries fields a rule happened to attach.
 */
export type AuditJsonFinding = AuditFinding;

/** Version 1 of `portcullis audit --format json`; docs/audit.md and docs/audit-json.schema.json describe it. */
export type AuditJsonDocument = {
  readonly schemaVersion: 1;
  readonly tool: ToolInfo;
  readonly summary: LintJsonDocument['summary'] & { readonly objects: number; readonly suppressed: number };
  readonly findings: readonly AuditJsonFinding[];
  readonly suppressed: readonly (AuditJsonFinding & { readonly suppressedBy: Suppression })[];
  readonly expiredIgnores: readonly ExpiredIgnore[];
};

// Copies only the documented fields, in a fixed order, so the document never grows fields a
// rule happened to attach.
function findingJson(f: AuditFinding): AuditJsonFinding {
  const r = f.resource;
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    title: f.title,
    message: f.message,
    hint: f.hint,
    resource: {
      apiVersion: r.apiVersion,
      kind: r.kind,
      ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
      name: r.name,
    },
    objectPath: f.objectPath,
    file: f.file,
    line: f.line,
    ...(f.chain === undefined ? {} : { chain: [...f.chain] }),
  };
}

function suppressionJson(s: Suppression): Suppression {
  return s.kind === 'annotation'
    ? { kind: 'annotation', reason: s.reason }
    : {
        kind: 'policy',
        reason: s.reason,
        location: s.location,
        ...(s.expires === undefined ? {} : { expires: s.expires }),
      };
}

/** The audit JSON document for a report of `objects` audited objects. */
export function toAuditJson(report: AuditReport, objects: number, tool: ToolInfo): AuditJsonDocument {
  return {
    schemaVersion: 1,
    tool: { name: tool.name, version: tool.version },
    summary: { ...countBySeverity(report.findings), objects, suppressed: report.suppressed.length },
    findings: report.findings.map(findingJson),
    suppressed: report.suppressed.map((s) => ({
      ...findingJson(s),
      suppressedBy: suppressionJson(s.suppressedBy),
    })),
    expiredIgnores: report.expiredIgnores.map((e) => ({
      rule: e.rule,
      reason: e.reason,
      expires: e.expires,
      location: e.location,
      findings: e.findings,
    })),
  };
}

/** {@link toAuditJson} as indented JSON text with a final newline. */
export function formatAuditJson(report: AuditReport, objects: number, tool: ToolInfo): string {
  return `${JSON.stringify(toAuditJson(report, objects, tool), undefined, 2)}\n`;
}
