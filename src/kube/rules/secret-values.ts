// How the manifest rules decide that a name and a value are a credential. The names follow
// Polaris's sensitiveContainerEnvVar list and Trivy KSV-0109's key patterns; the values go
// through the shared secret engine (src/secrets) and its placeholder list.
import { redactSecret } from '../../core/index.js';
import { isPlaceholderSecret, scanText } from '../../secrets/index.js';

/** Names that usually hold a credential. */
const SECRET_NAME =
  /passw(?:or)?d|passwd|pwd|secret|token|bearer|api_?key|apikey|access_?key|private_?key|credential|auth_?key|key_?content|^azure_.+key$|_?sas_?key/i;
/** Names that point at or configure a credential rather than hold one. */
const POINTER_NAME =
  /(?:_file|_path|_dir|_length|_len|_type|_name|_enabled|_size|_ttl|_timeout|_expiry|_expires|_lifetime|_host|_port|_endpoint|_url|_uri|_version|_ref|_key_id|_header|_policy|_mode|_audience|_issuer|_algorithm|_alg|_scopes?|_realm|_provider|_backend|_format|_prefix|_strategy|_namespace|_kind|_class)$|^(?:token|secret)_?(?:name|key|ref)$|secret_?key_?ref/i;

/** True when `name` looks like it holds a credential (`DB_PASSWORD`, `api-token`, `AZURE_BATCH_KEY`). */
export function isSecretName(name: string): boolean {
  const n = name.replaceAll('-', '_').replaceAll('.', '_');
  return SECRET_NAME.test(n) && !POINTER_NAME.test(n);
}

/**
 * True when `value` could be a real credential rather than a stand-in: not empty, not a
 * reference (`$(VAR)` is Kubernetes' own expansion, `${VAR}`, `{{ .Values.x }}`), not a
 * placeholder the secret engine knows (`changeme`, `xxx`, `<token>`, `example`, ...), not a
 * boolean, words of letters only (`SOME VALUE`), or a file path
 * (`GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/key.json` points at a mounted file, which is the
 * right way).
 */
export function isRealLookingValue(value: string): boolean {
  const v = value.trim();
  // Under four characters is a setting (`api`, `on`, `1h`), not a credential anyone would use.
  if (v.length < 4 || v.includes('$') || isPlaceholderSecret(v)) return false;
  if (/^(?:true|false|yes|no|on|off)$/i.test(v)) return false;
  // Words of letters only ("SOME VALUE", "see the vault") are prose left in a template.
  if (/^[A-Za-z]+(?:\s+[A-Za-z]+)+$/.test(v)) return false;
  return !/^(?:\/|\.\/|~\/)[\w./-]*$/.test(v);
}

// `-----BEGIN RSA PRIVATE KEY-----`, also with the wrong number of dashes: a key header in a
// plain value is evidence enough, whatever follows it.
const PRIVATE_KEY_HEADER = /BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY/;

/**
 * What the secret engine (and a private-key header check) finds in `value`: one short label
 * per secret with its redacted form, e.g. `github-token ghp_…`. Empty when nothing is found.
 */
export function secretsIn(value: string): string[] {
  const found = scanText(value).map((f) => `${f.ruleId} ${f.redacted}`);
  if (found.length === 0 && PRIVATE_KEY_HEADER.test(value)) found.push('private-key header');
  return found;
}

/** Why a `name`/`value` pair is a credential (a redacted description), or undefined if it is not. */
export function secretPair(name: string, value: string): string | undefined {
  const found = secretsIn(value);
  if (found.length > 0) return found.join(', ');
  if (isSecretName(name) && isRealLookingValue(value)) return `secret-like value ${redact(value)}`;
  return undefined;
}

/** A preview that is safe to print: never the raw value. */
export function redact(value: string): string {
  return redactSecret(value);
}

// `KEY=value`, `export KEY=value`, `key: value` and `key = value` lines of config files kept in a
// ConfigMap or an annotation (.env, properties, YAML, TOML, INI).
const ASSIGNMENT_LINE = /^\s*(?:export\s+)?["']?([A-Za-z_][\w.-]{0,127})["']?\s*[:=]\s*(.*?)\s*$/;

/** Credentials in the `name=value` lines of a config-file value: [1-based line, description]. */
export function secretAssignments(text: string): [number, string][] {
  const out: [number, string][] = [];
  text.split('\n').forEach((line, i) => {
    const m = ASSIGNMENT_LINE.exec(line) ?? undefined;
    if (m === undefined) return;
    const name = m[1] ?? '';
    const value = (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2').replace(/\s*[;,]$/, '');
    if (isSecretName(name) && isRealLookingValue(value)) out.push([i + 1, `${name}: ${redact(value)}`]);
  });
  return out;
}

/** The text a `data` value stands for (base64), or undefined if it is not base64. */
export function decodeBase64(value: string): string | undefined {
  const v = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return undefined;
  return Buffer.from(v, 'base64').toString('utf8');
}
