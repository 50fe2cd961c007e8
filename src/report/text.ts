import type { LayerRef, LintFinding } from './types.js';

/** `sha256:` and the first 12 hex digits: enough to tell layers apart, short enough for a line. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return colon < 0 ? digest.slice(0, 12) : digest.slice(0, colon + 13);
}

/** `path:line:col` for a file, plus `layer N sha256:…` for a finding in an image layer. */
export function formatLocation(f: Pick<LintFinding, 'path' | 'line' | 'column' | 'layer'>): string {
  // Image-level findings (config, history) have no line; a 0 would only mislead.
  const place = f.line >= 1 ? `${f.path}:${f.line}:${f.column}` : f.path;
  return f.layer === undefined ? place : `${place} ${formatLayer(f.layer)}`;
}

function formatLayer(layer: LayerRef): string {
  return `layer ${layer.index} ${shortDigest(layer.digest)}`;
}

/**
 * The human report: one `file:line:col severity id message` line per finding, each followed by
 * an indented `fix:` line with the rule's hint. Empty when there are no findings.
 */
export function formatLintText(findings: readonly LintFinding[]): string {
  return findings
    .map((f) => `${formatLocation(f)} ${f.severity} ${f.ruleId} ${f.message}\n    fix: ${f.hint}\n`)
    .join('');
}
