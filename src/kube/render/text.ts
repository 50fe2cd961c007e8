import { countBySeverity, SEVERITIES } from '../../report/index.js';
import type { AuditReport } from '../engine/audit.js';
import type { AuditFinding, KubeResource } from '../types.js';

/** `Deployment prod/web`, `ClusterRole reader` (cluster-scoped or no namespace given). */
export function formatResource(r: KubeResource): string {
  const name = r.name === '' ? '(unnamed)' : r.name;
  return `${r.kind} ${r.namespace === undefined ? name : `${r.namespace}/${name}`}`;
}

function groupKey(f: AuditFinding): string {
  const r = f.resource;
  return JSON.stringify([f.file, r.apiVersion, r.kind, r.namespace ?? '', r.name]);
}

/**
 * The human report: findings grouped per object (in report order), each as
 * `file:line severity id message`, then the path inside the object, the RBAC chain when there
 * is one, and the fix; then a summary line, suppressions and expired policy entries.
 */
export function formatAuditText(report: AuditReport, objects: number): string {
  const groups = new Map<string, AuditFinding[]>();
  for (const f of report.findings) {
    const key = groupKey(f);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [f]);
    else list.push(f);
  }
  const lines: string[] = [];
  for (const findings of groups.values()) {
    const first = findings[0];
    if (first === undefined) continue;
    lines.push(`${formatResource(first.resource)} (${first.file})`);
    for (const f of findings) {
      lines.push(`  ${f.file}:${f.line} ${f.severity} ${f.ruleId} ${f.message}`);
      if (f.objectPath !== '') lines.push(`      at: ${f.objectPath}`);
      if (f.chain !== undefined && f.chain.length > 0) lines.push(`      via: ${f.chain.join(' -> ')}`);
      lines.push(`      fix: ${f.hint}`);
    }
    lines.push('');
  }
  const counts = countBySeverity(report.findings);
  const bySeverity = SEVERITIES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  lines.push(
    `${counts.total} finding(s)${bySeverity.length > 0 ? ` (${bySeverity.join(', ')})` : ''} in ${objects} object(s)` +
      (report.suppressed.length > 0 ? `, ${report.suppressed.length} suppressed` : ''),
  );
  for (const s of report.suppressed) {
    const by = s.suppressedBy.kind === 'annotation' ? 'annotation' : s.suppressedBy.location;
    lines.push(
      `  suppressed: ${s.ruleId} on ${formatResource(s.resource)} (${s.file}:${s.line}) by ${by}: ${s.suppressedBy.reason}`,
    );
  }
  for (const e of report.expiredIgnores) {
    lines.push(
      `  expired: audit.ignore for ${e.rule} at ${e.location} ended ${e.expires}; it no longer suppresses ${e.findings} finding(s) ("${e.reason}")`,
    );
  }
  return `${lines.join('\n')}\n`;
}
