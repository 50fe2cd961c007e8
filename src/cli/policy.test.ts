import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parsePolicy } from '../policy/index.js';
import { runCommandCaptured } from '../testing/cli.js';
import { sharedData } from '../testing/fixtures.js';
import { runPolicy } from './commands/policy.js';

const repo = path.resolve(import.meta.dirname, '..', '..');
const fixtures = path.join(import.meta.dirname, 'testdata', 'policy-test');
const example = path.join(repo, 'examples', 'portcullis.yaml');
const offline = path.join(fixtures, 'offline.yaml');

type Run = { readonly code: number; readonly stdout: string; readonly stderr: string };

async function run(argv: readonly string[], stdin?: string): Promise<Run> {
  const r = await runCommandCaptured(runPolicy, argv, {
    cwd: fixtures,
    ...(stdin === undefined ? {} : { stdin }),
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

type JsonVerdict = { image: string; rule: string; action: string; outcome: string; message: string };
type JsonReport = {
  schemaVersion: number;
  offline: boolean;
  summary: { objects: number; judged: number; denied: number; warnings: number };
  objects: {
    source: { file: string; document: number; item?: number };
    kind: string;
    name: string;
    namespace: string;
    allowed: boolean;
    skipped?: string;
    verdicts: JsonVerdict[];
    warnings: string[];
  }[];
};

async function runJson(
  argv: readonly string[],
  stdin?: string,
): Promise<{ code: number; report: JsonReport }> {
  const r = await run([...argv, '--format', 'json'], stdin);
  expect(r.stderr).toBe('');
  return { code: r.code, report: JSON.parse(r.stdout) as JsonReport };
}

function denials(report: JsonReport): string[] {
  return report.objects.flatMap((o) =>
    o.verdicts.filter((v) => v.action === 'deny').map((v) => `${o.kind}/${o.name} ${v.image} ${v.rule}`),
  );
}

describe('portcullis policy test', () => {
  it('denies latest and a look-alike registry, naming file, document, image and rule (exit 1)', async () => {
    const { code, report } = await runJson(['test', '--policy', offline, 'bad.yaml']);
    expect(code).toBe(1);
    expect(report.schemaVersion).toBe(1);
    expect(report.offline).toBe(true);
    // The empty document between them is skipped but counted, so indices match the file.
    expect(report.objects.map((o) => [o.source.document, o.kind, o.namespace])).toEqual([
      [1, 'Deployment', 'shop'],
      [3, 'CronJob', 'default'],
    ]);
    expect(denials(report)).toEqual([
      'Deployment/web nginx:latest no-latest',
      'CronJob/backup my-registry.io.evil.com/acme/backup:1.4 trusted-registries',
    ]);
  });

  it('admits a good Deployment and skips a ConfigMap; offline facts follow onError (exit 0)', async () => {
    const { code, report } = await runJson(['test', '--policy', offline, 'good.yaml']);
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ objects: 2, judged: 1, denied: 0 });
    const [deployment, configMap] = report.objects;
    expect(configMap?.skipped).toBe('ConfigMap runs no pods');
    expect(deployment?.allowed).toBe(true);
    // requireSignature has onError allow: admitted with a warning; vulnerabilities is warn mode.
    const byRule = (rule: string) =>
      deployment?.verdicts.filter((v) => v.rule === rule).map((v) => [v.outcome, v.action]);
    expect(byRule('signed')).toEqual([
      ['error', 'warn'],
      ['error', 'warn'],
    ]);
    expect(byRule('no-criticals')).toEqual([
      ['error', 'warn'],
      ['error', 'warn'],
    ]);
    expect(byRule('trusted-registries')).toEqual([
      ['pass', 'allow'],
      ['pass', 'allow'],
    ]);
    expect(deployment?.warnings.some((w) => w.includes('no signature verification result'))).toBe(true);
  });

  it('with the example policy, a vulnerabilities rule that cannot scan offline denies (its onError is deny)', async () => {
    const { code, report } = await runJson(['test', '--policy', example, 'good.yaml', 'bad.yaml']);
    expect(code).toBe(1);
    expect(denials(report)).toEqual([
      // Containers come first, then init containers (the extraction's order).
      'Deployment/api ghcr.io/acme/api:2.3.1 no-criticals',
      'Deployment/api ghcr.io/acme/api-migrate:2.3.1 no-criticals',
      'Deployment/web nginx:latest trusted-registries',
      'Deployment/web nginx:latest no-latest',
      'Deployment/web nginx:latest no-criticals',
      'CronJob/backup my-registry.io.evil.com/acme/backup:1.4 trusted-registries',
      'CronJob/backup my-registry.io.evil.com/acme/backup:1.4 no-criticals',
    ]);
    const scanVerdict = report.objects[0]?.verdicts.find((v) => v.rule === 'no-criticals');
    expect(scanVerdict?.message).toContain('no scan result');
  });

  it('reads a List from stdin and judges its items, with item indices', async () => {
    const { code, report } = await runJson(
      ['test', '--policy', offline, '-'],
      await readFixture('list.json'),
    );
    expect(code).toBe(1);
    expect(report.objects.map((o) => [o.source, o.kind, o.skipped !== undefined])).toEqual([
      [{ file: '-', document: 1, item: 1 }, 'Pod', false],
      [{ file: '-', document: 1, item: 2 }, 'Service', true],
    ]);
    expect(denials(report)).toEqual(['Pod/shell busybox no-latest']);
  });

  it('prints text with per-image rule lines, the fix and the offline note', async () => {
    const r = await run(['test', '--policy', offline, 'bad.yaml', 'good.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('bad.yaml document 1: Deployment shop/web: DENIED');
    expect(r.stdout).toContain('  nginx:latest (web, /spec/template/spec/containers/0/image)');
    expect(r.stdout).toMatch(
      / {4}DENY {3}no-latest \(disallowTags, enforce\)\n {11}rule "no-latest".*latest.*\n {11}fix: /,
    );
    expect(r.stdout).toContain('good.yaml document 1: Deployment shop/api: admitted');
    expect(r.stdout).toContain(
      'good.yaml document 2: ConfigMap default/api-config: skipped (ConfigMap runs no pods)',
    );
    expect(r.stdout).toContain('4 object(s), 3 judged, 2 denied');
    expect(r.stdout).toContain('offline: no registry was contacted');
  });

  // kubectl is installed in CI (see the admission testdata README); its client-side output is
  // what people pipe into policy test, as YAML and JSON concatenated on stdin.
  it('judges objects printed by kubectl create --dry-run=client, piped on stdin', async () => {
    const kubectl = (...args: string[]) =>
      execFileSync('kubectl', [...args, '--dry-run=client'], { encoding: 'utf8' });
    const stdin = [
      kubectl(
        'create',
        'deployment',
        'web',
        '--image=nginx:latest',
        '--image=ghcr.io/acme/side:2',
        '-o',
        'yaml',
      ),
      kubectl('create', 'job', 'migrate', '--image=ghcr.io/acme/migrate:1', '-o', 'yaml'),
      // JSON is YAML: a JSON document after a YAML one only needs the separator.
      kubectl(
        'create',
        'cronjob',
        'nightly',
        '--image=my-registry.io.evil.com/backup:1',
        '--schedule=0 3 * * *',
        '-o',
        'json',
      ),
    ].join('---\n');
    const { code, report } = await runJson(['test', '--policy', offline, '-'], stdin);
    expect(code).toBe(1);
    expect(report.objects.map((o) => `${o.kind}/${o.name}:${String(o.allowed)}`)).toEqual([
      'Deployment/web:false',
      'Job/migrate:true',
      'CronJob/nightly:false',
    ]);
    expect(denials(report)).toEqual([
      'Deployment/web nginx:latest no-latest',
      'CronJob/nightly my-registry.io.evil.com/backup:1 trusted-registries',
    ]);
  });

  it('uses --namespace for objects that name none, so namespace-scoped rules apply', async () => {
    // The example's pinned-in-prod (requireDigest) matches namespace prod only.
    const { report } = await runJson(['test', '--policy', example, '--namespace', 'prod', 'bad.yaml']);
    const cron = report.objects.find((o) => o.kind === 'CronJob');
    expect(cron?.namespace).toBe('prod');
    expect(cron?.verdicts.some((v) => v.rule === 'pinned-in-prod' && v.action === 'deny')).toBe(true);
    const web = report.objects.find((o) => o.kind === 'Deployment');
    expect(web?.verdicts.some((v) => v.rule === 'pinned-in-prod')).toBe(false); // it names shop
  });

  it.each([
    {
      name: 'malformed YAML',
      text: 'apiVersion: v1\nkind: Pod\n---\nkind: Pod\nspec: [unclosed\n',
      error: /^portcullis: bad\.input document 2: not valid YAML: .+ \[MANIFESTS_INVALID\]\n$/,
    },
    {
      name: 'a scalar document',
      text: 'just a string\n',
      error: /bad\.input document 1: expected a Kubernetes object .*got a string/,
    },
    {
      name: 'an object without kind',
      text: 'apiVersion: v1\nmetadata: {}\n',
      error: /document 1: the object has no kind/,
    },
    {
      name: 'a Deployment whose containers are not a list',
      text: 'kind: Deployment\napiVersion: apps/v1\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers: nope\n',
      error: /bad\.input document 1 \(Deployment x\): the Deployment does not have a valid pod spec/,
    },
    {
      name: 'duplicate keys',
      text: 'kind: Pod\nkind: Deployment\n',
      error: /document 1: not valid YAML: .*[Uu]nique/,
    },
    {
      name: 'an alias bomb',
      text: `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`).join('\n')}\nkind: Pod\n`,
      error: /document 1: .*[Aa]lias/,
    },
  ])('exits 2 naming the file and document for $name', async ({ text, error }) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-test-'));
    const file = path.join(dir, 'bad.input');
    writeFileSync(file, text);
    const r = await runPolicyIn(dir, ['test', '--policy', offline, 'bad.input']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(error);
    expect(r.code).toBe(2);
  });

  it('refuses a manifest over the size cap (exit 6) and a missing file (exit 2)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-test-'));
    writeFileSync(path.join(dir, 'big.yaml'), Buffer.alloc((8 << 20) + 1, 0x20));
    const big = await runPolicyIn(dir, ['test', '--policy', offline, 'big.yaml']);
    expect(big.code).toBe(6);
    expect(big.stderr).toContain('big.yaml: 8388609 bytes, larger than the 8388608-byte limit');
    const stdin = await run(['test', '--policy', offline, '-'], ' '.repeat((8 << 20) + 1));
    expect(stdin.code).toBe(6);
    const missing = await runPolicyIn(dir, ['test', '--policy', offline, 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: cannot read: .*ENOENT.*\[MANIFESTS_UNREADABLE\]/);
  });

  it.each([
    { argv: ['test', 'bad.yaml'], error: /needs --policy FILE/ },
    { argv: ['test', '--policy', 'offline.yaml'], error: /needs MANIFEST files/ },
    {
      argv: ['test', '--policy', 'offline.yaml', '--format', 'sarif', 'bad.yaml'],
      error: /--format must be text or json/,
    },
    { argv: ['test', '--policy', 'offline.yaml', '-', '-'], error: /stdin \(-\) may be given once/ },
    { argv: ['frobnicate'], error: /unknown policy subcommand "frobnicate"/ },
  ])('is a usage error: $argv', async ({ argv, error }) => {
    await expect(run(argv)).rejects.toThrow(error);
  });

  it('prints help, and exits 2 without a subcommand', async () => {
    const help = await run(['test', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('policy test is offline');
    const bare = await run([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: portcullis policy test');
  });
});

// ---- import-gatekeeper, end to end through the CLI on the gatekeeper-library suites ----

type SuiteCase = { name: string; object: string; assertions: { violations: string | number | boolean }[] };
type Suite = { tests: { name: string; constraint: string; cases: SuiteCase[] }[] };

// `violations: yes|N` without a message filter: gator expects the object to be refused.
function expectsViolation(c: SuiteCase): boolean {
  return c.assertions.some(
    (a) =>
      a.violations === true ||
      a.violations === 'yes' ||
      (typeof a.violations === 'number' && a.violations > 0),
  );
}

describe.each(['allowedrepos', 'allowedreposv2', 'disallowedtags', 'imagedigests'])(
  'portcullis policy import-gatekeeper, then policy test, on the gatekeeper-library %s suite',
  (suiteName) => {
    const dir = sharedData('gatekeeper-library', 'general', suiteName);
    const suite = parseYaml(readFileSync(path.join(dir, 'suite.yaml'), 'utf8')) as Suite;
    const cases = suite.tests.flatMap((t) => t.cases.map((c) => [c.name, t.constraint, c] as const));

    it('has cases', () => {
      expect(cases.length).toBeGreaterThan(0);
    });

    it.each(cases)('%s', async (_name, constraint, c) => {
      const out = mkdtempSync(path.join(tmpdir(), 'policy-import-'));
      const imported = await runPolicyIn(dir, [
        'import-gatekeeper',
        constraint,
        '--output',
        path.join(out, 'p.yaml'),
      ]);
      expect(imported).toEqual({ code: 0, stdout: '', stderr: '' });
      const policyText = readFileSync(path.join(out, 'p.yaml'), 'utf8');
      expect(policyText).toContain(`# from ${constraint}`);
      // gator puts objects without a namespace in "default", as policy test does.
      const r = await runPolicyIn(dir, ['test', '--policy', path.join(out, 'p.yaml'), c.object]);
      expect(r.stderr).toBe('');
      expect(r.code, r.stdout).toBe(expectsViolation(c) ? 1 : 0);
    });
  },
);

describe('portcullis policy import-gatekeeper', () => {
  const constraint = path.join(
    sharedData('gatekeeper-library', 'general', 'allowedrepos'),
    'samples',
    'repo-must-be-openpolicyagent',
    'constraint.yaml',
  );

  it('prints a loadable policy with comments to stdout, from a file or stdin', async () => {
    const fromFile = await run(['import-gatekeeper', constraint]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/^# Converted from Gatekeeper constraints/);
    expect(fromFile.stdout).toContain('NOTE:');
    expect(parsePolicy(fromFile.stdout, 'stdout').rules?.[0]?.kind).toBe('allowedRegistries');
    const fromStdin = await run(['import-gatekeeper', '-'], readFileSync(constraint, 'utf8'));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout.replace(constraint, '-'));
  });

  it.each([
    {
      name: 'an unsupported constraint kind',
      text: 'apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sRequiredLabels\nmetadata: {name: x}\n',
      error: /GATEKEEPER_IMPORT_UNSUPPORTED/,
    },
    {
      name: 'broken YAML',
      text: 'kind: [',
      error: /in\.yaml#1.*not valid YAML.*\[GATEKEEPER_IMPORT_INVALID\]/s,
    },
    {
      name: 'no constraints',
      text: '---\n',
      error: /in\.yaml: no Gatekeeper constraints found \[MANIFESTS_INVALID\]/,
    },
  ])('exits 2 for $name', async ({ text, error }) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-import-'));
    writeFileSync(path.join(dir, 'in.yaml'), text);
    const r = await runPolicyIn(dir, ['import-gatekeeper', 'in.yaml']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(error);
    expect(r.code).toBe(2);
  });

  it('is a usage error without files', async () => {
    await expect(run(['import-gatekeeper'])).rejects.toThrow(/needs constraint FILEs/);
  });
});

async function readFixture(name: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path.join(fixtures, name), 'utf8');
}

async function runPolicyIn(cwd: string, argv: readonly string[]): Promise<Run> {
  const { code, stdout, stderr } = await runCommandCaptured(runPolicy, argv, { cwd });
  return { code, stdout, stderr };
}
