import { describe, expect, it } from 'vitest';
import { BUILTIN_SECRET_RULES } from './rules.js';
import { scanText } from './scan.js';

// Fake credentials are assembled at run time from a seeded generator, so this file holds no
// string that a push-protection scanner would take for a live secret.
function rand(n: number, alphabet: string, seed = 7): string {
  let x = seed;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += alphabet[x % alphabet.length] ?? 'a';
  }
  return out;
}
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64 = `${ALNUM}+/`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const b64url = (s: string): string => Buffer.from(s).toString('base64url');

const awsId = `AKIA${rand(16, UPPER_DIGITS)}`;
const awsSecret = rand(40, B64, 11);
const ghp = `ghp_${rand(36, ALNUM)}`;
const pem = (label: string): string =>
  `-----BEGIN ${label}-----\n${rand(64, B64, 3)}\n${rand(64, B64, 4)}\n-----END ${label}-----`;
const jwtToken = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url('{"sub":"42"}')}.${rand(43, ALNUM, 5)}`;
const azureKey = `${rand(86, B64, 9)}==`;

type Case = { readonly name: string; readonly text: string; readonly expected: readonly string[] };

// Each case: a text and the rule ids expected in it, in order ([] = nothing to report).
const cases: readonly Case[] = [
  { name: 'AWS key id in an env file', text: `AWS_ACCESS_KEY_ID=${awsId}`, expected: ['aws-access-key-id'] },
  {
    name: 'AWS temporary key id',
    text: `key: ASIA${rand(16, UPPER_DIGITS, 2)}`,
    expected: ['aws-access-key-id'],
  },
  {
    name: "AWS's documented example key id is a placeholder",
    text: 'id = AKIAIOSFODNN7EXAMPLE',
    expected: [],
  },
  { name: 'AKIA inside a longer word is no key id', text: `xAKIA${rand(16, UPPER_DIGITS)}`, expected: [] },
  {
    name: 'AWS secret key named as such',
    text: `aws_secret_access_key = ${awsSecret}`,
    expected: ['aws-secret-access-key'],
  },
  {
    name: 'AWS secret key in JSON',
    text: `{"AwsSecretKey": "${awsSecret}"}`,
    expected: ['aws-secret-access-key'],
  },
  {
    name: "AWS's documented example secret key is a placeholder",
    text: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    expected: [],
  },
  { name: '40 base64 characters without AWS context', text: `checksum ${awsSecret}`, expected: [] },
  { name: 'GitHub classic PAT', text: `GITHUB_TOKEN=${ghp}`, expected: ['github-token'] },
  ...['gho_', 'ghu_', 'ghs_', 'ghr_'].map((p) => ({
    name: `GitHub ${p} token`,
    text: `token ${p}${rand(36, ALNUM, 13)}`,
    expected: ['github-token'],
  })),
  {
    name: 'GitHub fine-grained PAT',
    text: `export GH=github_pat_${rand(22, ALNUM)}_${rand(59, ALNUM, 3)}`,
    expected: ['github-fine-grained-pat'],
  },
  { name: 'GitHub token too short', text: `ghp_${rand(20, ALNUM)}`, expected: [] },
  { name: 'GitHub token placeholder', text: `ghp_${'x'.repeat(36)}`, expected: [] },
  { name: 'GitLab PAT', text: `CI_TOKEN: glpat-${rand(20, ALNUM)}`, expected: ['gitlab-pat'] },
  {
    name: 'Slack bot token',
    text: `slack: xoxb-${rand(11, '0123456789')}-${rand(24, ALNUM)}`,
    expected: ['slack-token'],
  },
  { name: 'Slack token placeholder', text: 'xoxb-0000000000-xxxxxxxxxxxxxxxxxxxx', expected: [] },
  {
    name: 'Slack webhook',
    text: `url: https://hooks.slack.com/services/T${rand(8, UPPER_DIGITS)}/B${rand(8, UPPER_DIGITS)}/${rand(24, ALNUM)}`,
    expected: ['slack-webhook-url'],
  },
  {
    name: 'Stripe live secret key',
    text: `STRIPE=sk_live_${rand(24, ALNUM)}`,
    expected: ['stripe-live-key'],
  },
  { name: 'Stripe live restricted key', text: `rk_live_${rand(24, ALNUM)}`, expected: ['stripe-live-key'] },
  { name: 'Stripe test key is not reported', text: `sk_test_${rand(24, ALNUM)}`, expected: [] },
  {
    name: 'npm token',
    text: `//registry.npmjs.org/:_authToken=npm_${rand(36, ALNUM)}`,
    expected: ['npm-access-token'],
  },
  {
    name: 'PyPI token',
    text: `password = pypi-AgEIcHlwaS5vcmc${rand(70, ALNUM)}`,
    expected: ['pypi-upload-token'],
  },
  {
    name: 'Azure connection string',
    text: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${azureKey};EndpointSuffix=core.windows.net`,
    expected: ['azure-storage-account-key'],
  },
  {
    name: 'Azure storage key by name',
    text: `AZURE_STORAGE_KEY="${azureKey}"`,
    expected: ['azure-storage-account-key'],
  },
  {
    name: 'Azurite emulator key is public',
    text: 'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
    expected: [],
  },
  {
    name: 'Docker config.json auth',
    text: `{"auths":{"registry.example.com":{"auth":"${b64(`deploy:${rand(16, ALNUM)}`)}"}}}`,
    expected: ['docker-config-auth'],
  },
  { name: 'Docker config.json auth without a password', text: `{"auth":"${b64('deploy:')}"}`, expected: [] },
  {
    name: 'Docker config.json auth that is not user:pass',
    text: `{"auth":"${b64('hello world')}"}`,
    expected: [],
  },
  {
    name: 'Kubernetes dockerconfigjson data',
    text: `  .dockerconfigjson: ${b64('{"auths":{}}')}`,
    expected: ['dockerconfig-secret'],
  },
  ...[
    'RSA PRIVATE KEY',
    'EC PRIVATE KEY',
    'OPENSSH PRIVATE KEY',
    'PRIVATE KEY',
    'ENCRYPTED PRIVATE KEY',
    'DSA PRIVATE KEY',
  ].map((label) => ({ name: `PEM ${label}`, text: `key: |\n${pem(label)}\n`, expected: ['private-key'] })),
  {
    name: 'PGP private key block',
    text: `-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n${rand(64, B64)}\n-----END PGP PRIVATE KEY BLOCK-----`,
    expected: ['private-key'],
  },
  {
    name: 'private key header in code is no key',
    text: 'const HEADER = "-----BEGIN RSA PRIVATE KEY-----";\nconst other = 1;',
    expected: [],
  },
  {
    name: 'private key docs stub is no key',
    text: '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n' + `sha ${rand(64, B64)}`,
    expected: [],
  },
  {
    name: 'public key is no secret',
    text: `-----BEGIN PUBLIC KEY-----\n${rand(64, B64)}\n-----END PUBLIC KEY-----`,
    expected: [],
  },
  {
    name: 'GCP service account JSON',
    text: `{\n  "type": "service_account",\n  "project_id": "p",\n  "private_key": "${pem('PRIVATE KEY').replace(/\n/g, '\\n')}\\n",\n  "client_email": "a@p.iam.gserviceaccount.com"\n}`,
    expected: ['gcp-service-account-key'],
  },
  { name: 'JWT', text: `Authorization: Bearer ${jwtToken}`, expected: ['jwt-token'] },
  {
    name: 'three dotted base64 parts without an alg header',
    text: `${b64url('{"foo":"bar!"}')}.${b64url('{"sub":"42"}')}.${rand(43, ALNUM, 5)}`,
    expected: [],
  },
  {
    name: 'URL with credentials',
    text: `DATABASE_URL=postgres://app:${rand(14, ALNUM)}@db:5432/app`,
    expected: ['url-credentials'],
  },
  { name: 'URL with a ${VAR} password', text: 'url: https://user:${PASSWORD}@example.org/', expected: [] },
  {
    name: 'URL with a password placeholder',
    text: 'git clone https://user:password@host/repo.git',
    expected: [],
  },
  { name: 'URL without password', text: 'see https://user@host/ and http://host:8080/', expected: [] },
  {
    name: 'generic env assignment',
    text: `DB_PASSWORD=${rand(16, ALNUM)}`,
    expected: ['generic-secret-assignment'],
  },
  {
    name: 'generic YAML',
    text: `  client_secret: "${rand(20, ALNUM)}"`,
    expected: ['generic-secret-assignment'],
  },
  { name: 'generic JSON', text: `{"apiKey": "${rand(24, ALNUM)}"}`, expected: ['generic-secret-assignment'] },
  {
    name: 'generic INI',
    text: `[db]\npassword = ${rand(12, ALNUM)}`,
    expected: ['generic-secret-assignment'],
  },
  {
    name: 'generic code',
    text: `const authToken = '${rand(18, ALNUM)}';`,
    expected: ['generic-secret-assignment'],
  },
  ...[
    'changeme',
    '${DB_PASSWORD}',
    '$DB_PASSWORD',
    '$(cat /run/secrets/db)',
    '<your-password>',
    '{{ .Values.password }}',
    'example-secret-value',
    'xxxxxxxxxxxx',
    '************',
    'password',
    'dummy-password-1',
    'test1234abcd',
    'REDACTED',
    'aaaaaaaaaaaa',
    'short',
    'os.environ.get',
    'getenv(PASSWORD)',
    'abababababab',
  ].map((value) => ({ name: `generic placeholder ${value}`, text: `DB_PASSWORD=${value}`, expected: [] })),
  ...[
    'tokenTtlSeconds: TOKEN_TTL_SECONDS,',
    'private readonly fetchToken: TokenFetch,',
    'readonly credentials: CredentialStore | undefined;',
    "resolves: { '../../etc/passwd': 'etc/passwd' },",
    "const what = kind === 'basic' ? 'the password' : 'the identity token';",
    'nextLastSignificantToken = "?NonExpressionParenEnd";',
    '{"Username":"u","Secret":"leaked-secret-value"}',
    'const token = parsed?.token ?? parsed?.access_token;',
  ].map((text) => ({ name: `code is no secret: ${text}`, text, expected: [] })),
  {
    name: 'Dockerfile ENV with =',
    text: `ENV DB_PASSWORD=${rand(16, ALNUM, 21)}`,
    expected: ['generic-secret-assignment'],
  },
  {
    name: 'Dockerfile legacy ENV form',
    text: `ENV DB_PASSWORD ${rand(16, ALNUM, 21)}`,
    expected: ['generic-secret-assignment'],
  },
  { name: 'Dockerfile legacy ENV placeholder', text: 'ENV DB_PASSWORD ${DB_PASSWORD}', expected: [] },
  {
    name: 'words separated by a space are no assignment',
    text: `the password ${rand(16, ALNUM, 21)}`,
    expected: [],
  },
  { name: 'secret reference names are not secrets', text: `secretName: ${rand(16, ALNUM)}`, expected: [] },
  { name: 'password file path', text: `PASSWORD_FILE=/run/secrets/${rand(12, ALNUM)}`, expected: [] },
  {
    name: 'non-secret names',
    text: `IMAGE_DIGEST=${rand(32, ALNUM)}\npublicKey="${rand(40, ALNUM)}"`,
    expected: [],
  },
  { name: 'specific rule wins over generic', text: `GITHUB_TOKEN="${ghp}"`, expected: ['github-token'] },
];

describe('secret rules', () => {
  it.each(cases)('$name', (c) => {
    expect(scanText(c.text).map((f) => f.ruleId)).toEqual(c.expected);
  });

  it('every built-in rule has a positive case, an id, a title and keywords in lower case', () => {
    const covered = new Set(cases.flatMap((c) => c.expected));
    const ids = BUILTIN_SECRET_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of BUILTIN_SECRET_RULES) {
      expect(covered.has(rule.id), rule.id).toBe(true);
      expect(rule.title.length).toBeGreaterThan(0);
      expect(rule.keywords.length).toBeGreaterThan(0);
      for (const k of rule.keywords) expect(k).toBe(k.toLowerCase());
    }
  });
});
