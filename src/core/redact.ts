/**
 * Redaction for values that may be secrets. Reports show a few leading characters then
 * asterisks: enough to recognise which credential it is, never enough to use it.
 */
export function redactSecret(value: string, keep = 3): string {
  if (value.length === 0) return '';
  // Short values reveal too much in proportion: show nothing of them.
  const shown = value.length <= keep * 3 ? 0 : keep;
  return `${value.slice(0, shown)}${'*'.repeat(Math.min(8, Math.max(4, value.length - shown)))}`;
}

// Names people give to variables that hold credentials. Anchored on word pieces so that
// PASSWORD_FILE style indirections are still flagged (the value is only a path, but it is
// cheap to hide and avoids guessing wrong).
const SECRET_NAME_RE =
  /(^|[_.-])(pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|auth|session[_-]?key|client[_-]?secret|signing[_-]?key|encryption[_-]?key|dsn)($|[_.-])/i;

// Value shapes that are credentials whatever the variable is called.
const SECRET_VALUE_RES: readonly RegExp[] = [
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, // AWS access key id
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/, // GitHub tokens
  /\bglpat-[A-Za-z0-9_-]{20,}\b/, // GitLab personal access token
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/, // Slack
  /\b[sr]k_(live|test)_[A-Za-z0-9]{16,}\b/, // Stripe
  /\bnpm_[A-Za-z0-9]{36}\b/, // npm
  /\bpypi-[A-Za-z0-9_-]{50,}\b/, // PyPI
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/, // JWT
  /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, // URL with user:password
];

/** True when a variable or key name suggests its value is a credential. */
export function isSecretLikeName(name: string): boolean {
  return SECRET_NAME_RE.test(name);
}

/** True when a value looks like a credential by its shape alone. */
export function isSecretLikeValue(value: string): boolean {
  return SECRET_VALUE_RES.some((re) => re.test(value));
}

/**
 * Redacts the value of a `NAME=value` environment entry when the name or the value looks
 * secret; returns the entry unchanged otherwise.
 */
export function redactEnvEntry(entry: string): { entry: string; redacted: boolean } {
  const eq = entry.indexOf('=');
  const name = eq < 0 ? entry : entry.slice(0, eq);
  const value = eq < 0 ? '' : entry.slice(eq + 1);
  if (value !== '' && (isSecretLikeName(name) || isSecretLikeValue(value))) {
    return { entry: `${name}=${redactSecret(value)}`, redacted: true };
  }
  return { entry, redacted: false };
}
