import { redactSecret } from '../../core/index.js';
import { isPlaceholderSecret, scanText } from '../../secrets/index.js';

/** Names of variables that usually hold a credential. */
const SECRET_NAME =
  /(passw(or)?d|passwd|pwd|secret|token|api_?key|apikey|access_?key|private_?key|credential|auth_?key)/i;
/** Names that point at or configure a credential rather than hold one (URLs are left to the engine). */
const POINTER_NAME =
  /(_FILE|_PATH|_DIR|_LENGTH|_LEN|_TYPE|_NAME|_ENABLED|_SIZE|_TTL|_TIMEOUT|_EXPIRY|_EXPIRES|_LIFETIME|_HOST|_PORT|_ENDPOINT|_URL|_URI|_VERSION|_DUMMY)$/i;

/** True when `name` looks like it holds a credential (`DB_PASSWORD`, `NPM_TOKEN`, ...). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !POINTER_NAME.test(name);
}

/** True when `value` is empty, a variable reference or a placeholder such as `changeme`. */
export function isPlaceholderValue(value: string): boolean {
  return value.trim() === '' || value.includes('$') || isPlaceholderSecret(value);
}

/** A preview safe to print: never the raw value. */
export function redact(value: string): string {
  return redactSecret(value);
}

/** Redacted previews of what the secret engine finds in `text`. */
export function engineFindings(text: string): string[] {
  return scanText(text, { path: 'Dockerfile' }).map((f) => `${f.ruleId} ${f.redacted}`);
}
