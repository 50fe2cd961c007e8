import type { Severity } from './types.js';

/** Every severity, most severe first (the order reports list and count them in). */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** A rank where a larger number is more severe: info 0 … critical 4. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/** True when `severity` is at or above `threshold` (e.g. high is at least medium). */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

/** The severity named by `text` (case-insensitive), or undefined when it names none. */
export function tryParseSeverity(text: string): Severity | undefined {
  const lower = text.toLowerCase();
  return SEVERITIES.find((s) => s === lower);
}
