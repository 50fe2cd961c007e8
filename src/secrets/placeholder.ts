// Values that people put where a secret will go later, in docs, templates and examples.
// Matching any of these means "not a real credential".
const TEMPLATE_RE = /\$\{[^}]*\}|\$\([^)]*\)|\{\{[^}]*\}\}|<[^>]*>|%[A-Za-z_][A-Za-z0-9_]*%|^\$[A-Za-z_]/;
const MARKER_RE =
  /changeme|change[_-]me|example|placeholder|dummy|redacted|xxxx|\*\*\*|\.\.\.|your[_-]|my[_-]?(?:password|secret|token|key)|replace[_-]?me|fake|sample|insert[_-]|todo/i;
const WORD_RE =
  /^(?:pass(?:word|wd)?|secret|token|key|api[_-]?key|none|null|nil|undefined|true|false|empty|test(?:ing)?|\*+|x+)$/i;
const TEST_RE = /test/i;

/**
 * True when a value is a placeholder rather than a real secret: templating (`${VAR}`, `$VAR`,
 * `$(cmd)`, `{{ x }}`, `<token>`), markers (`changeme`, `example`, `xxx`, `***`, `dummy`,
 * `redacted`, ...), bare words like `password`, or one character repeated.
 * `strict` (for generic rules, whose matches are weaker evidence) also rejects anything
 * mentioning `test`.
 */
export function isPlaceholderSecret(value: string, strict = false): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  if (TEMPLATE_RE.test(v) || MARKER_RE.test(v) || WORD_RE.test(v)) return true;
  if (isOneRepeatedChar(v)) return true;
  return strict && TEST_RE.test(v);
}

function isOneRepeatedChar(v: string): boolean {
  const first = v[0];
  for (const ch of v) if (ch !== first) return false;
  return true;
}
