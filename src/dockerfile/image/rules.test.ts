import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageConfigSchema, type RootfsImage } from '../../oci/index.js';
import type { LintFinding } from '../../report/index.js';
import { repoRoot } from '../../testing/fixtures.js';
import { makeImage, makeTar, type TarSpec } from '../../testing/layer-images.js';
import { auditImageConfig } from './audit.js';
import { auditImage, type ImageAuditOptions } from './index.js';
import { allImageRules } from './rules/index.js';

// Secrets are made fresh for each run: random, so no real credential sits in the repository,
// and in the shapes the secret engine knows, so the rules have something real to find.
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomAlnum = (n: number): string =>
  Array.from(randomBytes(n), (b) => ALNUM[b % ALNUM.length] ?? 'x').join('');
const GH_TOKEN = `ghp_${randomAlnum(36)}`;
const NPM_TOKEN = `npm_${randomAlnum(36)}`;
const PASSWORD = `Pw${randomAlnum(14)}`;
const KEY_PEM = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ format: 'pem', type: 'pkcs1' })
  .toString();
const KEY_BODY = KEY_PEM.split('\n')[1] ?? '';
const SECRETS = [GH_TOKEN, NPM_TOKEN, PASSWORD, KEY_BODY, RSA_PEM.split('\n')[2] ?? ''];
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUabc\n-----END CERTIFICATE-----\n';

type ConfigCase = {
  readonly name: string;
  readonly config?: Record<string, unknown>;
  readonly history?: readonly (string | { readonly created_by: string; readonly empty_layer: boolean })[];
  readonly target?: string;
  /** Expected messages, each matched by a pattern, in order. */
  readonly found: readonly RegExp[];
};

function configOf(c: ConfigCase): unknown {
  const history = (c.history ?? []).map((h) => (typeof h === 'string' ? { created_by: h } : h));
  return {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
    ...(c.config === undefined ? {} : { config: c.config }),
    history,
  };
}

const nop = (s: string): { created_by: string; empty_layer: boolean } => ({
  created_by: `/bin/sh -c #(nop)  ${s}`,
  empty_layer: true,
});

const configCases: Readonly<Record<string, readonly ConfigCase[]>> = {
  'PC-IMG-001': [
    { name: 'no config at all', found: [/sets no User/] },
    { name: 'empty User', config: { User: '' }, found: [/sets no User/] },
    { name: 'root by name', config: { User: 'root' }, found: [/"root" is root/] },
    { name: 'uid 0 with group', config: { User: '0:0' }, found: [/"0:0" is root/] },
    { name: 'root:root', config: { User: 'root:root' }, found: [/is root/] },
    { name: 'numeric non-root uid', config: { User: '65532' }, found: [] },
    { name: 'named non-root user and group', config: { User: 'app:app' }, found: [] },
  ],
  'PC-IMG-002': [
    {
      name: 'GitHub token in Env',
      config: { Env: [`GH=${GH_TOKEN}`] },
      found: [/environment variable GH holds a github token \(ghp\*+\)/],
    },
    {
      name: 'password by name in Env',
      config: { Env: [`DB_PASSWORD=${PASSWORD}`] },
      found: [/DB_PASSWORD=Pw\w\*+/],
    },
    {
      name: 'npm token in a label',
      config: { Labels: { 'ci.publish': NPM_TOKEN } },
      found: [/label ci\.publish holds/],
    },
    {
      name: 'pointers, placeholders and plain settings',
      config: {
        Env: [
          'PATH=/usr/bin',
          'PASSWORD_FILE=/run/secrets/db',
          'API_KEY=${API_KEY}',
          'GPG_KEY=B42F6819007F00F88E364FD4036A9C25BF357DD4',
        ],
        Labels: { maintainer: 'x <x@example.com>' },
      },
      found: [],
    },
  ],
  'PC-IMG-003': [
    {
      name: 'a build arg recorded on every RUN after its ARG (docker/buildah), reported once',
      history: [
        '/bin/sh -c #(nop) ADD file:abc in /',
        nop('ARG TOKEN'),
        `|1 TOKEN=${GH_TOKEN} /bin/sh -c echo build`,
        `|1 TOKEN=${GH_TOKEN} /bin/sh -c make`,
      ],
      found: [
        /history entry 2: build arg TOKEN holds a github token \(ghp\*+\) \(recorded again in history entry 3\)/,
      ],
    },
    {
      name: 'BuildKit records build args after RUN',
      history: [`RUN |2 VERSION=1.2 NPM_TOKEN=${NPM_TOKEN} /bin/sh -c npm ci # buildkit`],
      found: [/history entry 0: build arg NPM_TOKEN holds an? npm/],
    },
    {
      name: 'a secret ENV step later unset from the final config',
      history: [nop(`ENV DB_PASSWORD=${PASSWORD}`)],
      found: [/history entry 0: ENV DB_PASSWORD=Pw\w\*+/],
    },
    {
      name: 'a credential written into a command',
      history: [`/bin/sh -c git clone https://x:${GH_TOKEN}@github.com/o/r.git`],
      found: [/history entry 0: .*in the command/],
    },
    {
      name: "an ENV still in the final config is PC-IMG-002's, harmless args are nothing",
      config: { Env: [`DB_PASSWORD=${PASSWORD}`] },
      history: [
        nop(`ENV DB_PASSWORD=${PASSWORD}`),
        nop('ARG TOKEN'),
        '|1 VERSION=1.2.3 /bin/sh -c make',
        'ENV PATH=/opt/bin:$PATH',
      ],
      found: [],
    },
  ],
  'PC-IMG-007': [
    { name: 'no tag means latest', target: 'alpine', found: [/docker\.io\/library\/alpine has no tag/] },
    {
      name: 'latest tag',
      target: 'docker://ghcr.io/o/app:latest',
      found: [/ghcr\.io\/o\/app is referenced by the :latest tag/],
    },
    { name: 'version tag', target: 'alpine:3.20', found: [] },
    { name: 'digest', target: `alpine@sha256:${'a'.repeat(64)}`, found: [] },
    {
      name: 'tag and digest: the digest is what is pulled',
      target: `alpine:latest@sha256:${'a'.repeat(64)}`,
      found: [],
    },
    { name: 'an OCI layout is not a registry tag', target: 'oci:/images/app:latest', found: [] },
    { name: 'no target given', found: [] },
  ],
  'PC-IMG-008': [
    {
      name: 'ADD of a URL, shown without its query',
      history: ['/bin/sh -c #(nop) ADD https://example.com/tool.tgz?token=abc123 /opt/'],
      found: [/history entry 0: ADD https:\/\/example\.com\/tool\.tgz$/],
    },
    {
      name: 'BuildKit ADD of a URL',
      history: ['ADD https://example.com/a.tar.gz /a # buildkit'],
      found: [/ADD https/],
    },
    {
      name: 'ADD of local files',
      history: ['/bin/sh -c #(nop) ADD file:abc in /', 'COPY https-notes.txt /x # buildkit'],
      found: [],
    },
  ],
  'PC-IMG-009': [
    { name: 'no Healthcheck', config: {}, found: [/has no HEALTHCHECK/] },
    { name: 'disabled', config: { Healthcheck: { Test: ['NONE'] } }, found: [/disables/] },
    { name: 'set', config: { Healthcheck: { Test: ['CMD', 'true'], Interval: 30000000000 } }, found: [] },
  ],
  'PC-IMG-010': [
    {
      name: 'apk add keeps the index',
      history: ['/bin/sh -c apk add wget curl'],
      found: [/history entry 0: apk add/],
    },
    {
      name: 'apk add in a chain',
      history: ['RUN /bin/sh -c apk update && apk add git # buildkit'],
      found: [/apk add/],
    },
    { name: '--no-cache', history: ['/bin/sh -c apk add --no-cache curl'], found: [] },
    {
      name: 'cache removed in the same step',
      history: ['/bin/sh -c apk add curl && rm -rf /var/cache/apk/*'],
      found: [],
    },
  ],
  'PC-IMG-011': [
    {
      name: 'update and install, no clean-up',
      history: ['/bin/sh -c apt-get update && apt-get install -y curl'],
      found: [/entry 0/],
    },
    {
      name: 'update alone',
      history: ['/bin/sh -c apt-get update -y && apt-get upgrade -y'],
      found: [/entry 0/],
    },
    {
      name: 'lists removed',
      history: ['/bin/sh -c apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*'],
      found: [],
    },
    { name: 'apt-get only mentioned', history: ['/bin/sh -c echo apt-get is not run'], found: [] },
  ],
  'PC-IMG-012': [
    {
      name: 'ADD after the base layer',
      history: [
        '/bin/sh -c #(nop) ADD file:abc in / ',
        nop('CMD ["sh"]'),
        '/bin/sh -c #(nop) ADD file:def in /app/cred.json',
      ],
      found: [/history entry 2: ADD file:def in \/app\/cred\.json/],
    },
    {
      name: 'the base image rootfs ADD',
      history: [nop('ARG X'), '/bin/sh -c #(nop) ADD file:abc in / '],
      found: [],
    },
    { name: 'COPY', history: ['/bin/sh -c #(nop) ADD file:abc in /', 'COPY . /app # buildkit'], found: [] },
  ],
};

type LayerCase = {
  readonly name: string;
  readonly layers: readonly (readonly TarSpec[])[];
  /** Expected findings as `layer message-pattern`, in order. */
  readonly found: readonly (readonly [number, RegExp])[];
};

const f = (name: string, content: string, mode?: number): TarSpec =>
  mode === undefined ? { name, content } : { name, content, mode };
const wh = (name: string): TarSpec => ({ name, content: '' });

const layerCases: Readonly<Record<string, readonly LayerCase[]>> = {
  'PC-IMG-004': [
    {
      name: 'a key added, then deleted by a whiteout, is still in its layer',
      layers: [[f('etc/os-release', 'x')], [f('root/.ssh/id_rsa', RSA_PEM)], [wh('root/.ssh/.wh.id_rsa')]],
      found: [[1, /^SSH private key \/root\/\.ssh\/id_rsa: deleted by layer 2, but still in layer 1/]],
    },
    {
      name: 'a key whose directory is deleted, and one hidden by an opaque directory',
      layers: [
        [f('root/.ssh/id_ed25519', KEY_PEM), f('app/tls.key', KEY_PEM)],
        [wh('root/.wh..ssh'), f('app/.wh..wh..opq', '')],
      ],
      found: [
        [0, /^private key \/app\/tls\.key: deleted by layer 1/],
        [0, /^SSH private key \/root\/\.ssh\/id_ed25519: deleted by layer 1/],
      ],
    },
    {
      name: 'a key replaced by a later layer, and one still present',
      layers: [
        [f('srv/server.pem', KEY_PEM), f('etc/ssl/private/site.key', RSA_PEM)],
        [f('srv/server.pem', CERT)],
      ],
      found: [
        [0, /^private key \/etc\/ssl\/private\/site\.key: present in the final filesystem/],
        [0, /^private key \/srv\/server\.pem: replaced by layer 1, but the old copy is still in layer 0/],
      ],
    },
    {
      name: 'a key deleted and then brought back: each copy with its own fate',
      layers: [
        [f('root/.ssh/id_rsa', RSA_PEM)],
        [wh('root/.ssh/.wh.id_rsa')],
        [f('root/.ssh/id_rsa', RSA_PEM)],
      ],
      found: [
        [0, /^SSH private key \/root\/\.ssh\/id_rsa: deleted by layer 1,/],
        [2, /^SSH private key \/root\/\.ssh\/id_rsa: present in the final filesystem/],
      ],
    },
    {
      name: 'the first of a replacement and a deletion is what happened',
      layers: [[f('etc/a.key', KEY_PEM)], [f('etc/a.key', CERT)], [wh('etc/.wh.a.key')]],
      found: [[0, /^private key \/etc\/a\.key: replaced by layer 1,/]],
    },
    {
      name: 'credential files confirmed by their content',
      layers: [
        [
          f('app/.env', `DB_HOST=db\nDB_PASSWORD=${PASSWORD}\n`),
          f('root/.npmrc', `//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n`),
          f(
            'root/.docker/config.json',
            `{"auths":{"r.example.com":{"auth":"${Buffer.from(`u:${PASSWORD}`).toString('base64')}"}}}`,
          ),
          f(
            'root/.aws/credentials',
            `[default]\naws_access_key_id = AKIA${randomAlnum(16).toUpperCase()}\naws_secret_access_key = ${randomAlnum(40)}\n`,
          ),
          f('root/.git-credentials', `https://u:${GH_TOKEN}@github.com\n`),
          f('root/.kube/config', `users:\n- name: u\n  user:\n    token: ${randomAlnum(32)}\n`),
          f('root/.pypirc', `[pypi]\nusername = __token__\npassword = pypi-${randomAlnum(60)}\n`),
        ],
      ],
      found: [
        [0, /^\.env file with secrets \/app\/\.env/],
        [0, /^AWS credentials file \/root\/\.aws\/credentials/],
        [0, /^Docker registry credentials \/root\/\.docker\/config\.json/],
        [0, /^git credential store \/root\/\.git-credentials/],
        [0, /^kubeconfig with credentials \/root\/\.kube\/config/],
        [0, /^npm auth token file \/root\/\.npmrc/],
        [0, /^PyPI credentials file \/root\/\.pypirc/],
      ],
    },
    {
      name: 'look-alikes without credentials, templates, and test fixtures of vendored packages',
      layers: [
        [
          f('etc/ssl/certs/ca.pem', CERT),
          f('app/.env.example', `DB_PASSWORD=${PASSWORD}\n`),
          f('app/.env', 'PORT=8080\nDB_PASSWORD=${DB_PASSWORD}\n'),
          f('root/.npmrc', '//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n'),
          f('root/.docker/config.json', '{"credsStore":"pass"}'),
          f('usr/lib/python3/dist-packages/twisted/test/server.pem', KEY_PEM),
          f('usr/share/keys/empty.key', ''),
          f('etc/id_rsa.pub', 'ssh-ed25519 AAAAC3Nz user@host'),
        ],
      ],
      found: [],
    },
  ],
  'PC-IMG-005': [
    {
      name: 'a .git directory reported once per layer, and deleted later',
      layers: [
        [{ name: 'app/.git/', type: 'directory' }, f('app/.git/config', '[core]'), f('app/.git/HEAD', 'ref')],
        [wh('app/.wh..git')],
      ],
      found: [[0, /^git repository \/app\/\.git: deleted by layer 1/]],
    },
    {
      name: 'a non-empty shell history; empty ones are nothing',
      layers: [
        [
          f('root/.bash_history', `mysql -p${PASSWORD}\n`),
          f('home/u/.zsh_history', ''),
          f('app/.gitignore', 'x'),
        ],
      ],
      found: [[0, /^shell history \/root\/\.bash_history: present/]],
    },
    {
      name: 'git look-alikes and empty histories',
      layers: [
        [
          f('app/.gitignore', 'x'),
          f('app/.github/workflows/ci.yml', 'x'),
          f('root/.bash_history', ''),
          f('x/.gitkeep', ''),
        ],
      ],
      found: [],
    },
  ],
  'PC-IMG-006': [
    {
      name: 'setuid and setgid files of the final filesystem',
      layers: [
        [f('usr/bin/su', 'ELF', 0o4755), f('usr/bin/wall', 'ELF', 0o2755), f('usr/bin/ls', 'ELF', 0o755)],
      ],
      found: [
        [0, /^setgid file \(mode 2755, uid 0, gid 0\) \/usr\/bin\/wall: present/],
        [0, /^setuid file \(mode 4755, uid 0, gid 0\) \/usr\/bin\/su: present/],
      ],
    },
    {
      name: 'bits removed by a later layer, or the file deleted',
      layers: [
        [f('usr/bin/su', 'ELF', 0o4755), f('usr/bin/newgrp', 'ELF', 0o4755)],
        [f('usr/bin/su', 'ELF', 0o755), wh('usr/bin/.wh.newgrp')],
      ],
      found: [],
    },
  ],
};

const configRules = allImageRules.filter((r) => r.checkConfig !== undefined);
const layerRules = allImageRules.filter((r) => r.scanLayers !== undefined);

function assertNoSecrets(findings: readonly LintFinding[]): void {
  const text = JSON.stringify(findings);
  for (const s of SECRETS) expect(text).not.toContain(s);
}

describe.each(configRules.map((r) => [r.id, r] as const))('%s', (id, rule) => {
  it.each((configCases[id] ?? []).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const findings = auditImageConfig(configOf(c), {
      rules: [rule],
      ...(c.target === undefined ? {} : { target: c.target }),
    });
    expect(findings.map((x) => x.message)).toEqual(c.found.map((re): unknown => expect.stringMatching(re)));
    for (const x of findings)
      expect(x).toMatchObject({ ruleId: id, severity: rule.severity, hint: rule.hint, line: 0, column: 0 });
    assertNoSecrets(findings);
  });
});

describe.each(layerRules.map((r) => [r.id, r] as const))('%s', (id, rule) => {
  it.each((layerCases[id] ?? []).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { image } = makeImage(await Promise.all(c.layers.map(async (l) => ({ tar: await makeTar(l) }))));
    const findings = await auditImage(image, { rules: [rule] });
    expect(findings.map((x) => [x.layer?.index, x.message])).toEqual(
      c.found.map(([layer, re]): unknown[] => [layer, expect.stringMatching(re)]),
    );
    for (const x of findings) {
      expect(x).toMatchObject({ ruleId: id, path: 'test:image', line: 0 });
      expect(x.layer?.digest).toBe(image.layers[x.layer?.index ?? -1]?.descriptor.digest);
    }
    assertNoSecrets(findings);
  });
});

describe('every image rule', () => {
  it('has a unique PC-IMG-NNN id, a docs page naming its equivalents, and passing and failing cases', () => {
    const ids = allImageRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const rule of allImageRules) {
      expect(rule.id).toMatch(/^PC-IMG-\d{3}$/);
      expect(rule.docs).toBe(`docs/rules/${rule.id}.md`);
      const docs = path.join(repoRoot, rule.docs);
      expect(existsSync(docs), docs).toBe(true);
      const text = readFileSync(docs, 'utf8');
      expect(text).toContain(`# ${rule.id}: ${rule.title}`);
      expect(text).toContain(`Severity: ${rule.severity}`);
      for (const section of ['## What', '## Why', '## Fix', '## Equivalents'])
        expect(text).toContain(section);
      for (const eq of Object.values(rule.equivalents).flat()) expect(text).toContain(eq);
      const cases: readonly { found: readonly unknown[] }[] = [
        ...(configCases[rule.id] ?? []),
        ...(layerCases[rule.id] ?? []),
      ];
      expect(
        cases.some((c) => c.found.length === 0),
        `${rule.id} passing case`,
      ).toBe(true);
      expect(
        cases.some((c) => c.found.length > 0),
        `${rule.id} failing case`,
      ).toBe(true);
    }
    expect([...Object.keys(configCases), ...Object.keys(layerCases)].sort()).toEqual([...ids].sort());
  });
});

describe('auditImage options', () => {
  const history = ['/bin/sh -c #(nop) ADD file:abc in /', '/bin/sh -c apk add curl'];
  const config = configOf({ name: '', config: { User: 'root' }, history, found: [] });

  it.each<[string, ImageAuditOptions, string[]]>([
    ['all rules by default', {}, ['PC-IMG-001 high', 'PC-IMG-009 info', 'PC-IMG-010 low']],
    ['disabled rules do not run', { disabled: ['PC-IMG-009', 'pc-img-010'] }, ['PC-IMG-001 high']],
    [
      'severities can be overridden',
      { severityOverrides: { 'PC-IMG-001': 'critical', 'PC-IMG-009': 'low' } },
      ['PC-IMG-001 critical', 'PC-IMG-009 low', 'PC-IMG-010 low'],
    ],
  ])('%s', (_name, options, expected) => {
    expect(auditImageConfig(config, options).map((x) => `${x.ruleId} ${x.severity}`)).toEqual(expected);
  });

  it('reports config-only findings under image-config, or the target, or the path given', () => {
    expect(auditImageConfig(config)[0]?.path).toBe('image-config');
    expect(auditImageConfig(config, { target: 'alpine:3' })[0]?.path).toBe('alpine:3');
    expect(auditImageConfig(config, { target: 'alpine:3', path: 'x' })[0]?.path).toBe('x');
  });

  it('refuses what is not an image config', () => {
    expect(() => auditImageConfig({ hello: 'world' })).toThrow(
      expect.objectContaining({ code: 'IMAGE_CONFIG_INVALID' }),
    );
  });

  it('ties history findings to the layer the entry made', async () => {
    const [base, top] = await Promise.all([makeTar([f('a', 'a')]), makeTar([f('b', 'b')])]);
    const { image } = makeImage([
      { tar: base, createdBy: '/bin/sh -c #(nop) ADD file:abc in /' },
      { tar: top, createdBy: `|1 TOKEN=${GH_TOKEN} /bin/sh -c make` },
    ]);
    const findings = await auditImage(image, { disabled: ['PC-IMG-009'] });
    const leak = findings.find((x) => x.ruleId === 'PC-IMG-003');
    expect(leak?.layer).toEqual({ index: 1, digest: image.layers[1]?.descriptor.digest });
    assertNoSecrets(findings);
  });

  it("lists a file rule's findings up to the cap and counts the rest", async () => {
    const tar = await makeTar(Array.from({ length: 5 }, (_, i) => f(`bin/s${i}`, 'ELF', 0o4755)));
    const { image } = makeImage([{ tar }]);
    const findings = await auditImage(image, {
      rules: allImageRules.filter((r) => r.id === 'PC-IMG-006'),
      maxFindingsPerRule: 3,
    });
    expect(findings.map((x) => x.message)).toEqual([
      '2 more findings of this rule not listed (over the cap of 3)',
      expect.stringMatching(/\/bin\/s0/),
      expect.stringMatching(/\/bin\/s1/),
      expect.stringMatching(/\/bin\/s2/),
    ] as unknown[]);
  });

  it('stays linear on hostile configs and files (long runs that make naive regexes backtrack)', async () => {
    const long = 200_000;
    const config = configOf({
      name: '',
      config: { Env: [`A=${'a'.repeat(long)}`] },
      history: [
        `/bin/sh -c echo${' '.repeat(long)}x`,
        nop(`ENV ${'B'.repeat(long)}`),
        `/bin/sh -c #(nop) ADD ${'a'.repeat(long)} /x`,
        `RUN /bin/sh -c ${'x'.repeat(long)}${' '.repeat(long)}# buildki`,
      ],
      found: [],
    });
    const started = performance.now();
    auditImageConfig(config);
    const tar = await makeTar([
      f('app/.env', `${'A'.repeat(500_000)}\n${'\n'.repeat(400_000)}`),
      f('root/.pypirc', '\n'.repeat(500_000)),
      f('root/.kube/config', '\n'.repeat(500_000)),
    ]);
    await auditImage(makeImage([{ tar }]).image);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('audits a rootfs: directory as it is, with no layers', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-audit-'));
    try {
      await mkdir(path.join(dir, 'root/.ssh'), { recursive: true });
      await mkdir(path.join(dir, 'usr/bin'), { recursive: true });
      await writeFile(path.join(dir, 'root/.ssh/id_rsa'), RSA_PEM);
      await writeFile(path.join(dir, 'usr/bin/su'), 'ELF');
      await chmod(path.join(dir, 'usr/bin/su'), 0o4755);
      const image: RootfsImage = { kind: 'rootfs', source: 'rootfs', reference: `rootfs:${dir}`, root: dir };
      const findings = await auditImage(image);
      expect(
        findings.map((x) => `${x.ruleId} ${x.layer === undefined ? '-' : x.layer.index} ${x.message}`),
      ).toEqual([
        expect.stringMatching(/^PC-IMG-004 - SSH private key \/root\/\.ssh\/id_rsa: present/),
        expect.stringMatching(/^PC-IMG-006 - setuid file \(mode 4755, .*\/usr\/bin\/su/),
      ]);
      assertNoSecrets(findings);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// The schema the audit validates with is the oci one; this keeps the test's configs honest.
it('test configs are valid image configs', () => {
  for (const cases of Object.values(configCases))
    for (const c of cases) expect(imageConfigSchema.safeParse(configOf(c)).success, c.name).toBe(true);
});
