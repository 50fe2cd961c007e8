import { imagePathBase } from '../../core/index.js';
import { privateKey, scanText } from '../../secrets/index.js';
import { isPlaceholderValue, isSecretName } from '../rules/secret-util.js';

/**
 * A file kind that holds credentials. `confirm` looks at the content (small files only) and
 * says whether this copy really holds one; kinds without it count on their name alone.
 */
export type CredentialKind = {
  readonly what: string;
  readonly confirm?: (content: string) => boolean;
};

const SSH_KEY_NAMES = new Set(['id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519', 'id_ecdsa_sk', 'id_ed25519_sk']);
const ENV_TEMPLATE = /^\.env\.(example|sample|template|dist|defaults?)$/i;
// Test suites and examples of vendored packages (python's, node's, Go's testdata) carry keys
// made for the tests; a `.pem` or `.env` there is not a leaked credential, a key named id_rsa is.
const TEST_DIR = /(^|\/)(tests?|testdata|test-data|testing|fixtures|examples?|samples?)\//i;

function hasPrivateKey(content: string): boolean {
  return scanText(content, { rules: [privateKey] }).length > 0;
}

/** A value that is not a placeholder or a variable reference. */
const REAL_VALUE = String.raw`(?!\$\{|\$[A-Za-z_]|<|changeme|xxx)[^\s"']{4,}`;
const NPM_AUTH = new RegExp(
  String.raw`(?:^|[\s:])_(?:authToken|auth|password)\s*=\s*["']?${REAL_VALUE}`,
  'm',
);
const PYPI_PASSWORD = new RegExp(String.raw`^[ \t]*password[ \t]*[=:][ \t]*${REAL_VALUE}`, 'mi');
const NETRC_PASSWORD = new RegExp(String.raw`\bpassword\s+${REAL_VALUE}`);
const DOCKER_AUTH = /"(?:auth|identitytoken|registrytoken)"\s*:\s*"[^"]{4,}"/;
const AWS_SECRET = /^[ \t]*aws_(?:secret_access_key|session_token)[ \t]*=[ \t]*\S{8,}/m;
const KUBE_CREDENTIAL = /^[ \t]*(?:client-key-data|token|password)[ \t]*:[ \t]*["']?[^\s"']{8,}/m;

// One assignment per line; a single identifier class before `=` keeps the match linear.
const ENV_LINE = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*["']?([^\s"'#]*)/;

function hasEnvSecret(content: string): boolean {
  if (scanText(content).length > 0) return true;
  // A .env file is a list of assignments; one that names a credential and gives it a value is enough.
  return content.split('\n').some((line) => {
    const m = ENV_LINE.exec(line);
    const name = m?.[1];
    const value = m?.[2] ?? '';
    return name !== undefined && value.length >= 4 && isSecretName(name) && !isPlaceholderValue(value);
  });
}

/** The credential kind of a regular file at `path` (normalized image path), if its name is one. */
export function credentialKind(path: string): CredentialKind | undefined {
  const base = imagePathBase(path);
  const lower = base.toLowerCase();
  if (SSH_KEY_NAMES.has(lower)) return { what: 'SSH private key', confirm: hasPrivateKey };
  if (path.endsWith('.aws/credentials'))
    return { what: 'AWS credentials file', confirm: (c) => AWS_SECRET.test(c) };
  if (path.endsWith('.docker/config.json'))
    return { what: 'Docker registry credentials', confirm: (c) => DOCKER_AUTH.test(c) };
  if (lower === '.git-credentials') return { what: 'git credential store', confirm: (c) => c.trim() !== '' };
  if (lower === '.npmrc') return { what: 'npm auth token file', confirm: (c) => NPM_AUTH.test(c) };
  if (lower === '.pypirc') return { what: 'PyPI credentials file', confirm: (c) => PYPI_PASSWORD.test(c) };
  if (lower === '.netrc') return { what: '.netrc with a password', confirm: (c) => NETRC_PASSWORD.test(c) };
  if (lower === 'kubeconfig' || path.endsWith('.kube/config'))
    return { what: 'kubeconfig with credentials', confirm: (c) => KUBE_CREDENTIAL.test(c) };
  if (TEST_DIR.test(path)) return undefined;
  if ((lower === '.env' || lower.startsWith('.env.')) && !ENV_TEMPLATE.test(base))
    return { what: '.env file with secrets', confirm: hasEnvSecret };
  if (/\.(pem|key)$/.test(lower)) return { what: 'private key', confirm: hasPrivateKey };
  return undefined;
}

/** Interactive shell and REPL histories: what someone typed, passwords included. */
const HISTORY_NAMES = new Set([
  '.bash_history',
  '.zsh_history',
  '.sh_history',
  '.ash_history',
  '.history',
  '.python_history',
  '.mysql_history',
  '.psql_history',
  '.node_repl_history',
  '.rediscli_history',
  '.sqlite_history',
]);

/** True for a shell or REPL history file name. */
export function isHistoryFile(path: string): boolean {
  return HISTORY_NAMES.has(imagePathBase(path));
}

/** The `.git` directory a path is or lies under (`app/.git` for `app/.git/config`), if any. */
export function gitDirOf(path: string): string | undefined {
  const i = `/${path}/`.indexOf('/.git/');
  return i < 0 ? undefined : path.slice(0, i + '.git'.length);
}

/** True when reading the file at `path` may turn it into a finding (so its content is wanted). */
export function isSensitiveCandidate(path: string): boolean {
  return credentialKind(path) !== undefined;
}
