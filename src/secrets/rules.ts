import { shannonEntropy } from './entropy.js';
import { matchSecretGroup, tryDecodeBase64 } from './match.js';
import { isPlaceholderSecret } from './placeholder.js';
import type { SecretRule, SecretSeverity, SecretSpan } from './types.js';

// Every regex here is linear: literal anchors or a lookbehind pin where a match may start,
// character classes that cannot overlap what follows them, and bounded repetition. Lines are
// scanned in windows of bounded length (see scan.ts), so no match can cost more than a window.

type LineRuleSpec = {
  readonly id: string;
  readonly title: string;
  readonly severity: SecretSeverity;
  readonly keywords: readonly string[];
  readonly re: RegExp;
  readonly accept?: (secret: string, match: RegExpMatchArray) => boolean;
};

function lineRule(spec: LineRuleSpec): SecretRule {
  const accept = spec.accept ?? ((secret: string) => !isPlaceholderSecret(secret));
  return {
    kind: 'line',
    id: spec.id,
    title: spec.title,
    severity: spec.severity,
    keywords: spec.keywords,
    match: (line) => matchSecretGroup(spec.re, line, accept),
  };
}

const notPlaceholder = (secret: string): boolean => !isPlaceholderSecret(secret);

/** AWS access key ids: a four-letter type prefix and 16 upper-case letters or digits. */
export const awsAccessKeyId = lineRule({
  id: 'aws-access-key-id',
  title: 'AWS access key ID',
  severity: 'critical',
  keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'],
  re: /(?<![A-Za-z0-9])(?<secret>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})(?![A-Za-z0-9])/dg,
  // AWS documents AKIAIOSFODNN7EXAMPLE as its example key: a placeholder, not a finding.
  accept: notPlaceholder,
});

/** AWS secret access keys: 40 base64 characters, only when named as an AWS secret key. */
export const awsSecretAccessKey = lineRule({
  id: 'aws-secret-access-key',
  title: 'AWS secret access key',
  severity: 'critical',
  keywords: ['aws'],
  re: /(?<![A-Za-z0-9])aws[_.-]?(?:sec(?:ret)?[_.-]?)?(?:access[_.-]?)?key["']?[ \t]{0,8}(?::=|=>|[:=])?[ \t]{0,8}["']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/dgi,
});

/** GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens. */
export const githubToken = lineRule({
  id: 'github-token',
  title: 'GitHub token',
  severity: 'critical',
  keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
  re: /(?<![A-Za-z0-9_])(?<secret>gh[pousr]_[A-Za-z0-9]{36,251})(?![A-Za-z0-9])/dg,
});

/** GitHub fine-grained personal access tokens. */
export const githubFineGrainedToken = lineRule({
  id: 'github-fine-grained-pat',
  title: 'GitHub fine-grained personal access token',
  severity: 'critical',
  keywords: ['github_pat_'],
  re: /(?<![A-Za-z0-9_])(?<secret>github_pat_[A-Za-z0-9_]{50,255})(?![A-Za-z0-9_])/dg,
});

/** GitLab personal access tokens. */
export const gitlabToken = lineRule({
  id: 'gitlab-pat',
  title: 'GitLab personal access token',
  severity: 'critical',
  keywords: ['glpat-'],
  re: /(?<![A-Za-z0-9_-])(?<secret>glpat-[A-Za-z0-9_-]{20,64})(?![A-Za-z0-9_-])/dg,
});

/** Slack bot, user, app, refresh and legacy tokens. */
export const slackToken = lineRule({
  id: 'slack-token',
  title: 'Slack token',
  severity: 'high',
  keywords: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxr-', 'xoxs-'],
  re: /(?<![A-Za-z0-9])(?<secret>xox[abprs]-[0-9]{6,16}-[A-Za-z0-9-]{8,240})(?![A-Za-z0-9-])/dg,
});

/** Slack incoming webhooks: whoever has the URL can post to the channel. */
export const slackWebhook = lineRule({
  id: 'slack-webhook-url',
  title: 'Slack webhook URL',
  severity: 'medium',
  keywords: ['hooks.slack.com'],
  re: /hooks\.slack\.com\/(?:services|workflows)\/(?<secret>[A-Za-z0-9_]{6,16}\/[A-Za-z0-9_]{6,16}\/[A-Za-z0-9_]{16,48})(?![A-Za-z0-9_])/dg,
});

/** Stripe live secret and restricted keys (test-mode keys move no money and are not reported). */
export const stripeKey = lineRule({
  id: 'stripe-live-key',
  title: 'Stripe live secret or restricted key',
  severity: 'critical',
  keywords: ['sk_live_', 'rk_live_'],
  re: /(?<![A-Za-z0-9_])(?<secret>[sr]k_live_[A-Za-z0-9]{20,247})(?![A-Za-z0-9])/dg,
});

/** npm access tokens. */
export const npmToken = lineRule({
  id: 'npm-access-token',
  title: 'npm access token',
  severity: 'critical',
  keywords: ['npm_'],
  re: /(?<![A-Za-z0-9_])(?<secret>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])/dg,
});

/** PyPI upload tokens (macaroons whose base64 starts with the pypi.org location). */
export const pypiToken = lineRule({
  id: 'pypi-upload-token',
  title: 'PyPI upload token',
  severity: 'critical',
  keywords: ['pypi-ageichlwas5vcmc'],
  re: /(?<![A-Za-z0-9_-])(?<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000})(?![A-Za-z0-9_-])/dg,
});

// The well-known key of the Azure storage emulator (Azurite), published in Microsoft's docs.
const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Azure storage account keys, in connection strings (`AccountKey=`) or named as such. */
export const azureStorageKey = lineRule({
  id: 'azure-storage-account-key',
  title: 'Azure storage account key',
  severity: 'critical',
  keywords: ['accountkey', 'azure'],
  re: /(?:AccountKey=|azure[A-Za-z0-9_.-]{0,40}key["']?[ \t]{0,8}[:=][ \t]{0,8}["']?)(?<secret>[A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])/dgi,
  accept: (secret) => secret !== AZURITE_KEY && !isPlaceholderSecret(secret),
});

/**
 * `auth` entries of a Docker `config.json`: base64 of `user:password`. Accepted only when the
 * value decodes to a user and a non-empty password.
 */
export const dockerConfigAuth = lineRule({
  id: 'docker-config-auth',
  title: 'Registry credentials in a Docker config.json',
  severity: 'high',
  keywords: ['"auth"'],
  re: /"auth"[ \t]{0,8}:[ \t]{0,8}"(?<secret>[A-Za-z0-9+/]{4,2048}={0,2})"/dg,
  accept: (secret) => {
    const decoded = tryDecodeBase64(secret);
    if (decoded === undefined) return false;
    const colon = decoded.indexOf(':');
    if (colon <= 0) return false;
    const password = decoded.slice(colon + 1);
    return password.length > 0 && !isPlaceholderSecret(password);
  },
});

/** Kubernetes `kubernetes.io/dockerconfigjson` and `dockercfg` Secret data. */
export const dockerConfigSecret = lineRule({
  id: 'dockerconfig-secret',
  title: 'Docker registry credentials in Kubernetes Secret data',
  severity: 'high',
  keywords: ['.dockerconfigjson', '.dockercfg'],
  re: /\.docker(?:configjson|cfg)["']?[ \t]{0,8}:[ \t]{0,8}["']?(?<secret>[A-Za-z0-9+/=]{8,4096})/dg,
});

/** Private keys: RSA, DSA, EC, OpenSSH, PGP, PKCS#8 (plain and encrypted) PEM blocks. */
export const privateKey: SecretRule = {
  kind: 'text',
  id: 'private-key',
  title: 'Private key',
  severity: 'critical',
  keywords: ['private key'],
  // The header, then (within a few lines, or after a JSON-escaped \n) a run of key material:
  // a header quoted in code or a docs stub like "-----BEGIN ... -----\n...\n" is no finding.
  match: (text) =>
    matchSecretGroup(
      /(?<secret>-----BEGIN[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----)(?=(?:[^-]|-(?!----)){0,400}?[A-Za-z0-9+/]{40})/dg,
      text,
    ),
};

/**
 * GCP service-account key files: a JSON object with `"type": "service_account"` and a
 * `private_key`. Reported at the private key's value.
 */
export const gcpServiceAccount: SecretRule = {
  kind: 'text',
  id: 'gcp-service-account-key',
  title: 'GCP service account key',
  severity: 'critical',
  keywords: ['service_account'],
  match: (text) => {
    if (!/"type"\s{0,20}:\s{0,20}"service_account"/.test(text)) return [];
    return matchSecretGroup(
      /"private_key"\s{0,20}:\s{0,20}"(?<secret>-----BEGIN[^"]{1,10000})"/dg,
      text,
      (secret) => /[A-Za-z0-9+/]{40}/.test(secret),
    );
  },
};

/** JSON Web Tokens: three base64url parts whose first decodes to a JSON header with `alg`. */
export const jwt = lineRule({
  id: 'jwt-token',
  title: 'JSON Web Token',
  severity: 'medium',
  keywords: ['eyj'],
  re: /(?<![A-Za-z0-9_-])(?<secret>(?<header>eyJ[A-Za-z0-9_-]{8,1000})\.[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{0,1000})(?![A-Za-z0-9_-])/dg,
  accept: (_secret, match) => {
    const header = tryDecodeBase64(match.groups?.['header'] ?? '');
    if (header === undefined) return false;
    try {
      const parsed: unknown = JSON.parse(header);
      // A parsed JSON null or scalar is no Object instance, so it has no header fields.
      return parsed instanceof Object && 'alg' in parsed;
    } catch {
      return false;
    }
  },
});

/** URLs with a password in their userinfo: `scheme://user:password@host`. */
export const urlCredentials = lineRule({
  id: 'url-credentials',
  title: 'Credentials embedded in a URL',
  severity: 'high',
  keywords: ['://'],
  re: /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s/:@'"`<>]{1,128}:(?<secret>[^\s/@'"`<>]{1,256})@[A-Za-z0-9[]/dg,
  accept: (secret) => !isPlaceholderSecret(secret, true),
});

// Names under which people store credentials. Matched against the whole key name once the
// assignment regex has found one, so the regex itself stays simple.
const SECRET_KEY_NAME_RE =
  /(?:pass(?:word|wd|phrase)|pwd|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|auth[_.-]?key|credentials?)/i;
// Names that mention a secret but hold something else: a reference to where it lives.
const NOT_SECRET_NAME_RE =
  /(?:name|file|path|ref|dir|type|len|length|count|endpoint|url|uri|arn|id|env|field|policy|expir\w*|ttl|format|mode|prompt|header|regex|pattern|min|max|size|enabled|required|provider|store)["']?$/i;
// Values that are code, not data: `os.environ.get(...)`, `config.db.password`, `f(x)`.
const CODE_VALUE_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)+$|[()[\]]/;
// Letters and word separators only: identifiers and type names in code (`TokenFetch`,
// `HELPER_PASSWORD`), not generated secrets, which nearly always carry digits or symbols.
const WORDS_ONLY_RE = /^[A-Za-z_?./-]+$/;
// Sentences, and values that name a secret rather than being one (`etc/passwd`, `the token`).
const PROSE_RE = /\s|pass(?:word|wd)|secret|token/i;
const MIN_GENERIC_LENGTH = 8;
const MIN_GENERIC_ENTROPY = 3;

/**
 * Generic `password = ...` style assignments in code, env files, YAML, JSON and INI. Gated by
 * length and Shannon entropy; placeholders, references and code expressions are ignored.
 */
export const genericAssignment: SecretRule = {
  kind: 'line',
  id: 'generic-secret-assignment',
  title: 'Hard-coded secret assigned to a credential-like name',
  severity: 'high',
  generic: true,
  keywords: ['pass', 'pwd', 'secret', 'token', 'key', 'credential'],
  match: (line) => matchGeneric(line),
};

// The assignment, tried only where a credential word occurs (sticky: at one position each).
const ASSIGNMENT_RE =
  /(?<name>[A-Za-z_][A-Za-z0-9_.-]{0,63})["']?[ \t]{0,8}(?::=|=>|[:=])[ \t]{0,8}(?:"(?<dq>[^"\n]{1,256})"|'(?<sq>[^'\n]{1,256})'|(?<bare>[^\s"'`,;#]{1,256}))/y;
// Dockerfile's legacy `ENV NAME value` form (one pair, separated by whitespace).
const DOCKERFILE_ENV_RE =
  /(?<name>[A-Za-z_][A-Za-z0-9_.-]{0,63})[ \t]{1,8}(?:"(?<dq>[^"\n]{1,256})"|'(?<sq>[^'\n]{1,256})'|(?<bare>[^\s"'`,;#]{1,256}))/y;
const ENV_PREFIX_RE = /^[ \t]*ENV[ \t]+$/i;
const NAME_WORD_RE = new RegExp(SECRET_KEY_NAME_RE.source, 'gi');
const MAX_NAME = 64;

function isNameChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || // 0-9
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    code === 0x5f || // _
    code === 0x2e || // .
    code === 0x2d // -
  );
}

function matchGeneric(line: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  let tried = -1;
  for (const hit of line.matchAll(NAME_WORD_RE)) {
    // Walk back to where the key name containing this word starts.
    let start = hit.index;
    while (start > 0 && hit.index - start < MAX_NAME && isNameChar(line.charCodeAt(start - 1))) {
      start--;
    }
    const before = line[start - 1];
    if (before !== undefined && (isNameChar(before.charCodeAt(0)) || before === '/' || before === '\\')) {
      continue; // part of a path or of a name too long to be a key
    }
    if (start <= tried) continue;
    tried = start;
    ASSIGNMENT_RE.lastIndex = start;
    let m = ASSIGNMENT_RE.exec(line);
    if (!m && ENV_PREFIX_RE.test(line.slice(0, start))) {
      DOCKERFILE_ENV_RE.lastIndex = start;
      m = DOCKERFILE_ENV_RE.exec(line);
    }
    if (!m) continue;
    const name = m.groups?.['name'] ?? '';
    if (start + name.length < hit.index + hit[0].length || NOT_SECRET_NAME_RE.test(name)) continue;
    // The value ends the match, before its closing quote if it has one (no `d` flag: slow).
    const quoted = m.groups?.['dq'] ?? m.groups?.['sq'];
    const value = quoted ?? m.groups?.['bare'] ?? '';
    const end = m.index + m[0].length - (quoted === undefined ? 0 : 1);
    if (!isGenericSecretValue(value)) continue;
    spans.push({ start: end - value.length, end });
  }
  return spans;
}

/** True when a value assigned to a credential-like name looks like a real secret. */
export function isGenericSecretValue(value: string): boolean {
  if (value.length < MIN_GENERIC_LENGTH) return false;
  if (isPlaceholderSecret(value, true)) return false;
  if (CODE_VALUE_RE.test(value) || WORDS_ONLY_RE.test(value) || PROSE_RE.test(value)) return false;
  return shannonEntropy(value) >= MIN_GENERIC_ENTROPY;
}

/**
 * The built-in rules, most specific first: when two rules match the same characters the
 * earlier one wins, and the generic rule always yields.
 */
export const BUILTIN_SECRET_RULES: readonly SecretRule[] = [
  gcpServiceAccount,
  privateKey,
  awsAccessKeyId,
  awsSecretAccessKey,
  githubToken,
  githubFineGrainedToken,
  gitlabToken,
  slackToken,
  slackWebhook,
  stripeKey,
  npmToken,
  pypiToken,
  azureStorageKey,
  dockerConfigAuth,
  dockerConfigSecret,
  jwt,
  urlCredentials,
  genericAssignment,
];
