// A deterministic corpus for the secret-engine benchmark: files of one kind each (source code,
// config, logs, base64 blobs, minified code), about 1 MiB apiece, with secrets of every rule's
// shape planted at known lines. The same seed gives the same bytes on every machine, so runs
// compare. Written once per bench run, read by secrets.subject.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The kinds of text the corpus holds; the subject reports throughput for each. */
export const CORPUS_KINDS = ['source', 'config', 'logs', 'base64', 'minified'] as const;
export type CorpusKind = (typeof CORPUS_KINDS)[number];

export type CorpusFile = {
  readonly name: string;
  readonly kind: CorpusKind;
  readonly bytes: number;
  /** 1-based lines holding a planted secret, with the rule expected to report it. */
  readonly planted: readonly { readonly line: number; readonly ruleId: string }[];
};
export type CorpusManifest = { readonly files: readonly CorpusFile[]; readonly bytes: number };

const FILE_BYTES = 1024 * 1024;
// One planted secret per this many lines of short-line text, on average (~10 per MiB).
const PLANT_EVERY = 1000;

// mulberry32: tiny, fast and good enough to make text that does not repeat in short cycles.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64 = `${ALNUM}+/`;
const HEX = '0123456789abcdef';
const WORDS = [
  'request',
  'handler',
  'config',
  'items',
  'user',
  'account',
  'session',
  'cache',
  'retry',
  'timeout',
  'service',
  'client',
  'server',
  'queue',
  'worker',
  'result',
  'status',
  'value',
  'record',
  'buffer',
  'stream',
  'index',
  'order',
  'payment',
  'invoice',
  'customer',
  'region',
  'bucket',
  'token',
  'key',
  'password',
  'secret',
  'auth',
  'credential',
  'limit',
  'offset',
];

// Names given random values: a credential word there would make a real hard-coded secret.
const PLAIN_WORDS = WORDS.filter((w) => !/token|key|password|secret|auth|credential/.test(w));

type Rand = {
  readonly next: () => number;
  pick<T>(xs: readonly T[]): T;
  str(alphabet: string, n: number): string;
  int(lo: number, hi: number): number;
};

function rand(seed: number): Rand {
  const next = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
    str: (alphabet, n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet.charAt(Math.floor(next() * alphabet.length));
      return s;
    },
  };
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

// One secret of each rule's shape, freshly random each time; `line` is the single line planted
// (a private key is a block of lines, reported on its first).
const PLANTS: readonly ((r: Rand) => { ruleId: string; lines: string[] })[] = [
  (r) => ({ ruleId: 'aws-access-key-id', lines: [`AWS_ACCESS_KEY_ID=AKIA${r.str(UPPER_NUM, 16)}`] }),
  (r) => ({ ruleId: 'github-token', lines: [`GITHUB_AUTH="ghp_${r.str(ALNUM, 36)}"`] }),
  (r) => ({ ruleId: 'gitlab-pat', lines: [`  gitlab: glpat-${r.str(ALNUM, 20)}`] }),
  (r) => ({
    ruleId: 'slack-token',
    lines: [`slack_bot = "xoxb-${r.str('0123456789', 12)}-${r.str('0123456789', 12)}-${r.str(ALNUM, 24)}"`],
  }),
  (r) => ({
    ruleId: 'slack-webhook-url',
    lines: [
      `notify: https://hooks.slack.com/services/T${r.str(UPPER_NUM, 8)}/B${r.str(UPPER_NUM, 8)}/${r.str(ALNUM, 24)}`,
    ],
  }),
  (r) => ({
    ruleId: 'stripe-live-key',
    lines: [`const stripe = new Stripe('sk_live_${r.str(ALNUM, 24)}');`],
  }),
  (r) => ({
    ruleId: 'npm-access-token',
    lines: [`//registry.npmjs.org/:_authToken=npm_${r.str(ALNUM, 36)}`],
  }),
  (r) => ({
    ruleId: 'jwt-token',
    lines: [
      `Authorization: Bearer ${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(`{"sub":"${r.str(HEX, 12)}","iat":${r.int(1e9, 2e9)}}`)}.${r.str(`${ALNUM}_-`, 43)}`,
    ],
  }),
  (r) => ({
    ruleId: 'url-credentials',
    lines: [`DATABASE_URL=postgres://app:${r.str(ALNUM, 18)}@db.internal:5432/app`],
  }),
  (r) => ({
    ruleId: 'generic-secret-assignment',
    lines: [`db_password = "${r.str(ALNUM, 6)}#${r.str(ALNUM, 8)}!${r.str(ALNUM, 4)}"`],
  }),
  (r) => ({
    ruleId: 'private-key',
    lines: [
      '-----BEGIN RSA PRIVATE KEY-----',
      ...Array.from({ length: 6 }, () => r.str(B64, 64)),
      '-----END RSA PRIVATE KEY-----',
    ],
  }),
];

// Markers that make the engine treat a value as a placeholder (see src/secrets/placeholder.ts).
const PLACEHOLDER_MARKER =
  /changeme|change[_-]me|example|placeholder|dummy|redacted|xxxx|your[_-]|replace[_-]?me|fake|sample|insert[_-]|todo|test/i;

// Line makers per kind: ordinary text that mentions credential words the way real code, config
// and logs do (names, references, placeholders), so the prefilter has real work to do.
const LINES: Readonly<Record<Exclude<CorpusKind, 'base64' | 'minified'>, (r: Rand) => string>> = {
  source: (r) =>
    r.pick([
      () =>
        `  const ${r.pick(WORDS)}${r.int(0, 99)} = await this.${r.pick(WORDS)}.get(${r.pick(WORDS)}Id, { retries: ${r.int(1, 5)} });`,
      () =>
        `  if (${r.pick(WORDS)} === undefined) throw new ${r.pick(['Config', 'Auth', 'Token'])}Error('missing ${r.pick(WORDS)}');`,
      () => `    const apiKey = process.env.API_KEY ?? config.get('apiKey');`,
      () => `  password: string; // hashed with argon2id before storage`,
      () =>
        `export function ${r.pick(WORDS)}${r.pick(['From', 'To', 'For'])}${r.pick(['Token', 'Key', 'Session'])}(input: string): boolean {`,
      () =>
        `    // see https://docs.${r.pick(WORDS)}.dev/api/v${r.int(1, 3)}/${r.pick(WORDS)} for the ${r.pick(WORDS)} format`,
      () => `  return ${r.pick(WORDS)}.map((x) => x.${r.pick(WORDS)}).filter(Boolean);`,
      () => `}`,
      () => ``,
    ])(),
  config: (r) =>
    r.pick([
      () => `  ${r.pick(WORDS)}_${r.pick(WORDS)}: ${r.int(0, 10000)}`,
      () => `  password: \${DB_PASSWORD}`,
      () => `  secretKeyRef: { name: ${r.pick(WORDS)}-credentials, key: token }`,
      () =>
        `  image: registry.${r.pick(WORDS)}.io/${r.pick(WORDS)}/${r.pick(WORDS)}:${r.int(1, 9)}.${r.int(0, 20)}.${r.int(0, 9)}`,
      () =>
        `${r.pick(PLAIN_WORDS).toUpperCase()}_${r.pick(PLAIN_WORDS).toUpperCase()}=${r.pick(WORDS)}-${r.int(0, 999)}`,
      () =>
        `"${r.pick(WORDS)}": { "enabled": ${r.next() < 0.5 ? 'true' : 'false'}, "${r.pick(PLAIN_WORDS)}": "${r.str(HEX, 8)}" },`,
      () => `api_key: changeme`,
      () => `[${r.pick(WORDS)}.${r.pick(WORDS)}]`,
      () => `# the token is mounted from the vault at /var/run/secrets/${r.pick(WORDS)}`,
    ])(),
  logs: (r) =>
    `2026-11-${String(r.int(1, 28)).padStart(2, '0')}T${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}.${r.int(100, 999)}Z ${r.pick(['INFO', 'INFO', 'INFO', 'WARN', 'DEBUG', 'ERROR'])} ${r.pick(
      [
        () =>
          `request handled method=GET path=/api/v1/${r.pick(WORDS)}/${r.int(1, 99999)} status=${r.pick([200, 200, 201, 304, 404, 500])} duration=${r.int(1, 900)}ms request_id=${r.str(HEX, 32)}`,
        () => `refreshing token for client=${r.pick(WORDS)}-${r.int(1, 99)} expires_in=${r.int(60, 3600)}s`,
        () =>
          `upstream https://${r.pick(WORDS)}.svc.cluster.local:${r.int(1000, 9999)}/healthz responded in ${r.int(1, 99)}ms`,
        () =>
          `auth failed for user=${r.pick(WORDS)}${r.int(1, 999)} from ${r.int(10, 250)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}: invalid password`,
      ],
    )()}`,
};

function generateFile(kind: CorpusKind, seed: number): { text: string; planted: CorpusFile['planted'] } {
  const r = rand(seed);
  const lines: string[] = [];
  const planted: { line: number; ruleId: string }[] = [];
  let size = 0;
  let plantIndex = seed;
  const push = (l: string) => {
    lines.push(l);
    size += l.length + 1;
  };
  const plant = () => {
    const make = PLANTS[plantIndex++ % PLANTS.length] as (typeof PLANTS)[number];
    let p = make(r);
    // Random letters sometimes spell a placeholder marker ("TODO", "fake"), which the engine
    // rightly ignores: draw again, so that every planted secret is one it must find.
    while (PLACEHOLDER_MARKER.test(p.lines.join('\n'))) p = make(r);
    planted.push({ line: lines.length + 1, ruleId: p.ruleId });
    for (const l of p.lines) push(l);
  };
  while (size < FILE_BYTES) {
    if (kind === 'base64') {
      // MIME/PEM-style 76-column base64, in blocks, with the odd secret between blocks.
      for (let i = 0; i < 200; i++) push(r.str(B64, 76));
      if (r.next() < 0.05) plant();
    } else if (kind === 'minified') {
      // Bundled JavaScript: a few very long lines (a secret sits inside one of them).
      const parts: string[] = [];
      let len = 0;
      const target = r.int(64, 256) * 1024;
      while (len < target) {
        const part = r.pick([
          () =>
            `function ${r.str('abcdefghij', 2)}(${r.str('abcdef', 1)}){return ${r.str('abcdef', 1)}.${r.pick(WORDS)}||"${r.pick(WORDS)}"}`,
          () =>
            `var ${r.str('abcdefghij', 2)}={${r.pick(WORDS)}:${r.int(0, 999)},${r.pick(PLAIN_WORDS)}:"${r.str(ALNUM, 12)}"};`,
          () => `e.headers["x-${r.pick(WORDS)}-token"]=t.${r.pick(WORDS)};`,
          () => `fetch("https://api.${r.pick(WORDS)}.com/v2/"+n,{method:"POST"});`,
        ])();
        parts.push(part);
        len += part.length;
      }
      push(parts.join(''));
      if (r.next() < 0.3) plant();
    } else {
      const maker = LINES[kind];
      for (let i = 0; i < PLANT_EVERY * 2; i++) {
        push(maker(r));
        if (r.next() < 1 / PLANT_EVERY) plant();
      }
    }
  }
  return { text: lines.join('\n'), planted };
}

/** Writes at least `totalBytes` of corpus into `dir` (created) and returns its manifest. */
export async function writeSecretsCorpus(dir: string, totalBytes: number): Promise<CorpusManifest> {
  await mkdir(dir, { recursive: true });
  const files: CorpusFile[] = [];
  let bytes = 0;
  for (let i = 0; bytes < totalBytes; i++) {
    const kind = CORPUS_KINDS[i % CORPUS_KINDS.length] as CorpusKind;
    const { text, planted } = generateFile(kind, 1000 + i);
    const name = `${String(i).padStart(4, '0')}-${kind}.txt`;
    await writeFile(path.join(dir, name), text);
    const size = Buffer.byteLength(text);
    files.push({ name, kind, bytes: size, planted });
    bytes += size;
  }
  const manifest = { files, bytes };
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return manifest;
}
