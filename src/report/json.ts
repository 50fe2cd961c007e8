import { SEVERITIES } from './severity.js';
import type { LintFinding, Severity } from './types.js';

/** Who wrote a report, recorded in JSON and SARIF. */
export type ToolInfo = { readonly name: string; readonly version: string };

export type LintJsonFinding = {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly hint: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly layer?: { readonly index: number; readonly digest: string };
};

/** Version 1 of the lint JSON document; docs/lint-json.md and docs/lint-json.schema.json describe it. */
export type LintJsonDocument = {
  readonly schemaVersion: 1;
  readonly tool: ToolInfo;
  readonly findings: readonly LintJsonFinding[];
  readonly summary: Readonly<Record<Severity, number>> & { readonly total: number };
};

/** Counts of findings per severity (every severity present, zero when none), plus the total. */
export function countBySeverity(
  findings: readonly Pick<LintFinding, 'severity'>[],
): LintJsonDocument['summary'] {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity] += 1;
  return { ...counts, total: findings.length };
}

// Copies only the documented fields, in a fixed order, so the document never grows fields a
// caller happened to attach to a finding object.
function findingJson(f: LintFinding): LintJsonFinding {
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    message: f.message,
    hint: f.hint,
    path: f.path,
    line: f.line,
    column: f.column,
    ...(f.layer === undefined ? {} : { layer: { index: f.layer.index, digest: f.layer.digest } }),
  };
}

/** The lint JSON document for `findings`, in the order given. */
export function toLintJson(findings: readonly LintFinding[], tool: ToolInfo): LintJsonDocument {
  return {
    schemaVersion: 1,
    tool: { name: tool.name, version: tool.version },
    findings: findings.map(findingJson),
    summary: countBySeverity(findings),
  };
}

/** {@link toLintJson} as indented JSON text with a final newline. */
export function formatLintJson(findings: readonly LintFinding[], tool: ToolInfo): string {
  return `${JSON.stringify(toLintJson(findings, tool), undefined, 2)}\n`;
}
