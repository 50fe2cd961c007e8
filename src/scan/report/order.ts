import type { Severity } from '../types.js';
import type { Finding } from '../types.js';

/** Severities from worst to least. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'];

const RANK: Readonly<Record<Severity, number>> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  negligible: 4,
  unknown: 5,
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Report order: package (name, version, path), then worst severity first, then id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    cmp(a.package.name, b.package.name) ||
    cmp(a.package.version, b.package.version) ||
    cmp(a.package.location.path, b.package.location.path) ||
    RANK[a.severity] - RANK[b.severity] ||
    cmp(a.id, b.id)
  );
}

/** Worst-first comparison of severities. */
export function compareSeverity(a: Severity, b: Severity): number {
  return RANK[a] - RANK[b];
}

/** Counts per severity, every severity present (zero when none). */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = {
    critical: 0,
    high: 0,
    medium: 0,
    low: 0,
    negligible: 0,
    unknown: 0,
  };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
