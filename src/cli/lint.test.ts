import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../dockerfile/index.js';
import { POLICY_FILE_NAME } from '../policy/index.js';
import { runCliCaptured } from '../testing/cli.js';
import { makeTar } from '../testing/layer-images.js';
import { repoRoot } from '../testing/fixtures.js';
import { sarifValidator } from '../testing/scan-schemas.js';
import { DEFAULT_POLICY_FILE } from './commands/lint.js';

let work: string;
const cli = (argv: string[]) => runCliCaptured(argv, work);

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-cli-lint-'));
  await writeFile(
    path.join(work, 'Dockerfile'),
    [
      'FROM ubuntu:latest',
      'RUN curl -fsSL https://example.com/install.sh | sh',
      'EXPOSE 22',
      'CMD ["/app"]',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(work, 'good.Dockerfile'),
    [
      'FROM golang:1.22@sha256:' + 'b'.repeat(64) + ' AS build',
      'RUN go build -o /app .',
      'FROM gcr.io/distroless/static-debian12@sha256:' + 'a'.repeat(64),
      'COPY --from=build /app /app',
      'USER 65532',
      'ENTRYPOINT ["/app"]',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('portcullis lint', () => {
  it('lints ./Dockerfile by default, one line per finding with the fix', async () => {
    const r = await cli(['lint']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Dockerfile:1:1 medium PC-DF-001 /m);
    expect(r.stdout).toMatch(/^Dockerfile:2:\d+ high PC-DF-009 /m);
    expect(r.stdout).toMatch(/^Dockerfile:3:\d+ medium PC-DF-011 /m);
    expect(r.stdout).toMatch(/PC-DF-006/);
    expect(r.stdout).toMatch(/^ {4}fix: /m);
  });

  it('prints JSON and exits 1 with --fail-on high when a high finding is present', async () => {
    const r = await cli(['lint', 'Dockerfile', '--format', 'json', '--fail-on', 'high']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      schemaVersion: number;
      findings: { ruleId: string; line: number }[];
    };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.findings.map((f) => f.ruleId)).toContain('PC-DF-009');
  });

  it('passes a multi-stage, digest-pinned, non-root Dockerfile at --fail-on low', async () => {
    const r = await cli(['lint', 'good.Dockerfile', '--fail-on', 'low']);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    [['lint', 'missing.Dockerfile'], /cannot read missing.Dockerfile/],
    [['lint', '--format', 'xml'], /unknown --format "xml"/],
    [['lint', '--fail-on', 'severe'], /unknown --fail-on "severe"/],
    [['lint', '--policy', 'p.yaml', '--no-policy'], /--policy and --no-policy exclude each other/],
  ])('%j exits 2 with a clear message', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

// A GitHub token in the shape the secret rules look for; made up, never valid.
const TOKEN = 'ghp_R8x2Lq7VnW3pZk9TbY4cM1sD6fH0jG5aE2uQ';

describe('portcullis lint output formats', () => {
  beforeAll(async () => {
    await writeFile(
      path.join(work, 'secret.Dockerfile'),
      [
        'FROM ubuntu:22.04',
        `ENV GITHUB_TOKEN=${TOKEN}`,
        `RUN curl -H "Authorization: token ${TOKEN}" https://api.github.com/user`,
        'COPY id_rsa /root/.ssh/id_rsa',
        '',
      ].join('\n'),
    );
  });

  it('--format sarif is valid SARIF 2.1.0 with metadata and a docs link for each rule that fired', async () => {
    const r = await cli(['lint', 'Dockerfile', 'secret.Dockerfile', '--format', 'sarif']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      runs: {
        tool: { driver: { rules: { id: string; helpUri: string }[] } };
        results: { ruleId: string; ruleIndex: number }[];
      }[];
    };
    const validate = sarifValidator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    const run = doc.runs[0];
    const fired = [...new Set(run?.results.map((x) => x.ruleId))].sort();
    expect(run?.tool.driver.rules.map((x) => x.id)).toEqual(fired);
    expect(fired).toEqual(expect.arrayContaining(['PC-DF-001', 'PC-DF-009', 'PC-DF-014', 'PC-DF-016']));
    for (const rule of run?.tool.driver.rules ?? []) {
      expect(rule.helpUri).toBe(
        `https://github.com/portcullis-dev/portcullis/blob/main/docs/rules/${rule.id}.md`,
      );
    }
    for (const x of run?.results ?? []) expect(run?.tool.driver.rules[x.ruleIndex]?.id).toBe(x.ruleId);
  });

  it('--format json follows docs/lint-json.schema.json and counts by severity', async () => {
    const r = await cli(['lint', 'Dockerfile', '--format', 'json']);
    const schema = JSON.parse(
      await readFile(path.join(repoRoot, 'docs', 'lint-json.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv({ strict: true }).compile(schema);
    const doc = JSON.parse(r.stdout) as { tool: { name: string }; summary: { high: number; total: number } };
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.tool.name).toBe('portcullis');
    expect(doc.summary.high).toBeGreaterThan(0);
  });

  it.each(['text', 'json', 'sarif'])(
    '--format %s never prints the raw secret, only its redacted form',
    async (format) => {
      const r = await cli(['lint', 'secret.Dockerfile', '--format', format]);
      expect(r.stdout).toMatch(/PC-DF-014/);
      expect(r.stdout).toMatch(/PC-DF-015/);
      expect(r.stdout).not.toContain(TOKEN);
      expect(r.stdout).not.toContain(TOKEN.slice(4, 20));
    },
  );

  it('--output writes the chosen format to a file', async () => {
    const r = await cli(['lint', '--format', 'sarif', '--output', 'out.sarif']);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(await readFile(path.join(work, 'out.sarif'), 'utf8')) as { version: string };
    expect(doc.version).toBe('2.1.0');
  });
});

describe('portcullis lint with a policy file', () => {
  let dir: string;
  const run = (argv: string[]) => runCliCaptured(argv, dir);
  const policy = (body: string[]) =>
    ['apiVersion: portcullis.dev/v1alpha1', 'kind: Policy', ...body, ''].join('\n');

  beforeAll(async () => {
    dir = path.join(work, 'with-policy');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'Dockerfile'),
      [
        'FROM quay.io/acme/base:1.0 AS base',
        'FROM ghcr.io/acme/tools:2.0 AS tools',
        'FROM docker.io/library/ubuntu:22.04',
        'RUN curl -fsSL https://example.com/install.sh | sh',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(dir, 'portcullis.yaml'),
      policy([
        'registries:',
        '  trusted: [quay.io/acme]',
        'lint:',
        '  failOn: high',
        '  rules:',
        '    PC-DF-006: off',
        '    PC-DF-009: critical',
        '  minimalBases: [docker.io/library/ubuntu]',
      ]),
    );
    await writeFile(path.join(dir, 'unknown-rule.yaml'), policy(['lint:', '  rules:', '    PC-DF-999: off']));
    await writeFile(
      path.join(dir, 'lenient.yaml'),
      policy(['lint:', '  failOn: critical', '  rules:', '    PC-DF-009: low']),
    );
    await writeFile(path.join(dir, 'bad.yaml'), policy(['lint:', '  fail_on: high']));
  });

  const ids = (stdout: string) =>
    [...stdout.matchAll(/^\S+ (\w+) (PC-[A-Z]+-\d{3}) /gm)].map((m) => `${m[2]} ${m[1]}`);

  it('reads ./portcullis.yaml by default: rules off, severities changed, trusted registries, minimal bases, failOn', async () => {
    const r = await run(['lint']);
    const found = ids(r.stdout);
    expect(found).not.toContain('PC-DF-006 high'); // off
    expect(found).toContain('PC-DF-009 critical'); // raised from high
    expect(found.filter((x) => x.startsWith('PC-DF-003'))).toEqual(['PC-DF-003 high', 'PC-DF-003 high']); // ghcr.io and docker.io
    expect(found.some((x) => x.startsWith('PC-DF-004'))).toBe(false); // ubuntu counted as minimal
    expect(r.code).toBe(1); // lint.failOn: high
  });

  it('adds --trusted-registry to the policy list and lets --fail-on beat lint.failOn', async () => {
    const r = await run(['lint', '--trusted-registry', 'ghcr.io/acme', '--fail-on', 'info']);
    expect(r.stdout).toMatch(/^Dockerfile:3:1 high PC-DF-003 .*docker\.io/m);
    expect(ids(r.stdout).filter((x) => x.startsWith('PC-DF-003'))).toHaveLength(1);
    expect(r.code).toBe(1);
    const lenient = await run(['lint', '--fail-on', 'critical', '--policy', 'lenient.yaml']);
    expect(ids(lenient.stdout)).toContain('PC-DF-009 low');
    expect(lenient.code).toBe(0);
  });

  it("looks for the policy module's default file name", () => {
    expect(DEFAULT_POLICY_FILE).toBe(POLICY_FILE_NAME);
  });

  it('--policy FILE replaces the default file, --no-policy ignores it', async () => {
    const lenient = await run(['lint', '--policy', 'lenient.yaml']);
    expect(ids(lenient.stdout)).toContain('PC-DF-006 high'); // not turned off in this file
    expect(ids(lenient.stdout).some((x) => x.startsWith('PC-DF-003'))).toBe(false); // no trusted list
    expect(lenient.code).toBe(0); // its failOn is critical
    const none = await run(['lint', '--no-policy']);
    expect(ids(none.stdout)).toEqual(expect.arrayContaining(['PC-DF-006 high', 'PC-DF-009 high']));
    expect(none.code).toBe(0);
  });

  it.each([
    [
      ['lint', '--policy', 'unknown-rule.yaml'],
      2,
      /unknown-rule\.yaml:5:5: lint\.rules\.PC-DF-999: unknown rule id/,
    ],
    [['lint', '--policy', 'bad.yaml'], 2, /bad\.yaml:4:3: .*fail_on/],
    [['lint', '--policy', 'missing.yaml'], 3, /missing\.yaml: policy file not found/],
  ])('%j exits %i naming the problem', async (argv, code, message) => {
    const r = await run(argv);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
  });

  it('knows every Dockerfile rule id (a policy may configure any of them)', async () => {
    await writeFile(
      path.join(dir, 'all.yaml'),
      policy(['lint:', '  rules:', ...allRules.map((rule) => `    ${rule.id}: info`)]),
    );
    const r = await run(['lint', '--policy', 'all.yaml']);
    expect(r.stderr).toBe('');
    expect(ids(r.stdout).length).toBeGreaterThan(2);
    expect(ids(r.stdout).every((x) => x.endsWith(' info'))).toBe(true);
  });
});

describe('portcullis lint --image', () => {
  // A `docker save` archive built here: layer 0 holds an SSH key that layer 1 deletes, the
  // history records a token passed as a build arg, and the config sets no USER.
  const key = generateKeyPairSync('rsa', { modulusLength: 1024 })
    .privateKey.export({ format: 'pem', type: 'pkcs1' })
    .toString();
  const keyLine = key.split('\n')[2] ?? '';
  let archive: string;

  beforeAll(async () => {
    const layer0 = await makeTar([
      { name: 'etc/os-release', content: 'ID=debian\n' },
      { name: 'root/.ssh/id_rsa', content: key, mode: 0o600 },
    ]);
    const layer1 = await makeTar([{ name: 'root/.ssh/.wh.id_rsa' }]);
    const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const config = {
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/bin'], Cmd: ['/app'] },
      rootfs: { type: 'layers', diff_ids: [sha(layer0), sha(layer1)] },
      history: [
        { created_by: '/bin/sh -c #(nop) COPY file:abc in /root/.ssh/id_rsa' },
        { created_by: `RUN |1 GITHUB_TOKEN=${TOKEN} /bin/sh -c rm /root/.ssh/id_rsa # buildkit` },
      ],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const manifest = [
      { Config: 'config.json', RepoTags: ['app:1.0'], Layers: ['l0/layer.tar', 'l1/layer.tar'] },
    ];
    archive = path.join(work, 'app.tar');
    await writeFile(
      archive,
      await makeTar([
        { name: 'manifest.json', content: JSON.stringify(manifest) },
        { name: 'config.json', content: configBytes },
        { name: 'l0/layer.tar', content: layer0 },
        { name: 'l1/layer.tar', content: layer1 },
      ]),
    );
  });

  it('reports root, the leaked build arg and the deleted key with its layer, with no raw secret', async () => {
    const r = await cli(['lint', '--image', `docker-archive:${archive}`, '--fail-on', 'critical']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => !l.startsWith('    fix: '));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^docker-archive:.*app\.tar \w+ PC-IMG-001 /),
        expect.stringMatching(
          /^docker-archive:.*app\.tar layer 1 \S+ critical PC-IMG-003 .*build arg GITHUB_TOKEN/,
        ),
        expect.stringMatching(
          /^docker-archive:.*app\.tar layer 0 sha256:[0-9a-f]{12} \w+ PC-IMG-004 .*id_rsa/,
        ),
      ]),
    );
    for (const format of ['text', 'json', 'sarif']) {
      const out = (await cli(['lint', '--image', `docker-archive:${archive}`, '--format', format])).stdout;
      expect(out).not.toContain(TOKEN);
      expect(out).not.toContain(keyLine);
    }
  });

  it('gives SARIF with a layer location and applies the policy to image rules', async () => {
    await writeFile(
      path.join(work, 'image-policy.yaml'),
      [
        'apiVersion: portcullis.dev/v1alpha1',
        'kind: Policy',
        'lint:',
        '  rules:',
        '    PC-IMG-001: off',
        '',
      ].join('\n'),
    );
    const r = await cli([
      'lint',
      '--image',
      `docker-archive:${archive}`,
      '--format',
      'sarif',
      '--policy',
      'image-policy.yaml',
    ]);
    const doc = JSON.parse(r.stdout) as {
      runs: { results: { ruleId: string; locations: { logicalLocations?: { name: string }[] }[] }[] }[];
    };
    const validate = sarifValidator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const results = doc.runs[0]?.results ?? [];
    expect(results.map((x) => x.ruleId)).not.toContain('PC-IMG-001');
    const keyResult = results.find((x) => x.ruleId === 'PC-IMG-004');
    expect(keyResult?.locations[0]?.logicalLocations).toEqual([expect.objectContaining({ name: 'layer 0' })]);
  });
});
