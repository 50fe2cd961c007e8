/** How bad a leaked credential of this kind is (same spelling as scan's severities). */
export type SecretSeverity = 'critical' | 'high' | 'medium' | 'low';

/** Where a secret sits, as half-open UTF-16 offsets into the string a matcher was given. */
export type SecretSpan = { readonly start: number; readonly end: number };

/**
 * One detection rule. `keywords` are lower-case strings of which at least one must occur
 * (case-insensitively) before the matcher runs: a cheap prefilter that keeps big files fast.
 * A `line` rule sees one line (or one window of a very long line); a `text` rule sees the whole
 * text, for secrets that span lines.
 */
export type SecretRule = {
  readonly id: string;
  readonly title: string;
  readonly severity: SecretSeverity;
  readonly keywords: readonly string[];
  /** Generic rules yield to specific ones when both match the same characters. */
  readonly generic?: boolean;
} & (
  | { readonly kind: 'line'; readonly match: (line: string) => readonly SecretSpan[] }
  | { readonly kind: 'text'; readonly match: (text: string) => readonly SecretSpan[] }
);

/**
 * A secret found in text. It carries a redacted preview only: the raw value is never stored.
 * Lines and columns are 1-based; columns count UTF-16 code units; `endColumn` is exclusive.
 */
export type SecretFinding = {
  readonly ruleId: string;
  readonly title: string;
  readonly severity: SecretSeverity;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly redacted: string;
};
