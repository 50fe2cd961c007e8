import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, runCommandCaptured } from '../testing/cli.js';
import { repoRoot } from '../testing/fixtures.js';
import { sarifValidator } from '../testing/scan-schemas.js';
import { runAudit } from './commands/audit.js';

// A ConfigMap with nothing wrong but a suppression without a reason, which the engine itself
// reports (PC-K8S-000, low) whichever rules are registered.
const REASONLESS = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: prod
  annotations:
    portcullis.dev/ignore: PC-K8S-000
data:
  color: blue
`;

const CLEAN = `apiVersion: v1
kind: ConfigMap
metadata: { name: other, namespace: prod }
data: { size: "3" }
`;

const POLICY_HEAD = 'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-audit-'));
  await writeFile(path.join(dir, 'cm.yaml'), REASONLESS);
  await mkdir(path.join(dir, 'tree', 'b'), { recursive: true });
  await writeFile(path.join(dir, 'tree', 'b', 'two.yml'), REASONLESS);
  await writeFile(
    path.join(dir, 'tree', 'a.json'),
    JSON.stringify(
      JSON.parse(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'j', annotations: { 'portcullis.dev/ignore': 'PC-K8S-000' } },
        }),
      ),
    ),
  );
  await writeFile(path.join(dir, 'tree', 'notes.txt'), 'not a manifest');
  await writeFile(path.join(dir, 'tree', 'Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 1.0.0\n');
  await writeFile(path.join(dir, 'broken.yaml'), `${CLEAN}---\nkind: [\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function audit(argv: readonly string[], opts: { stdin?: string } = {}) {
  return runCommandCaptured(runAudit, argv, { cwd: dir, ...opts });
}

describe('portcullis audit', () => {
  it('prints findings per object with file:line, path and fix, and exits 0 without a threshold', async () => {
    const r = await audit(['cm.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ConfigMap prod/settings (cm.yaml)');
    expect(r.stdout).toContain(
      '  cm.yaml:7 low PC-K8S-000 portcullis.dev/ignore suppresses PC-K8S-000 without a reason',
    );
    expect(r.stdout).toContain('      at: metadata.annotations["portcullis.dev/ignore"]');
    expect(r.stdout).toMatch(/\n1 finding\(s\) \(1 low\) in 1 object\(s\)\n$/);
  });

  it('exits 1 when a finding reaches --fail-on, 0 below it', async () => {
    expect((await audit(['cm.yaml', '--fail-on', 'low'])).code).toBe(1);
    expect((await audit(['cm.yaml', '--fail-on', 'medium'])).code).toBe(0);
    expect((await audit([`--fail-on=low`, 'cm.yaml'], {})).code).toBe(1);
  });

  it('takes failOn, severities and suppressions from the policy; --fail-on wins', async () => {
    await writeFile(
      path.join(dir, 'p1.yaml'),
      `${POLICY_HEAD}audit:\n  failOn: high\n  rules:\n    PC-K8S-000: high\n`,
    );
    expect((await audit(['cm.yaml', '--policy', 'p1.yaml'])).code).toBe(1);
    expect((await audit(['cm.yaml', '--policy', 'p1.yaml', '--fail-on', 'critical'])).code).toBe(0);
    await writeFile(
      path.join(dir, 'p2.yaml'),
      `${POLICY_HEAD}audit:\n  failOn: low\n  ignore:\n    - { rule: PC-K8S-000, kind: ConfigMap, name: sett*, reason: migration ticket 42 }\n`,
    );
    const r = await audit(['cm.yaml', '--policy', 'p2.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 suppressed');
    expect(r.stdout).toContain('p2.yaml:6:7: migration ticket 42');
  });

  it('reads ./portcullis.yaml by default and ignores it with --no-policy', async () => {
    const sub = path.join(dir, 'withpolicy');
    await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, 'portcullis.yaml'), `${POLICY_HEAD}audit:\n  failOn: low\n`);
    await writeFile(path.join(sub, 'cm.yaml'), REASONLESS);
    const run = (argv: string[]) => runCommandCaptured(runAudit, argv, { cwd: sub });
    expect((await run(['cm.yaml'])).code).toBe(1);
    expect((await run(['cm.yaml', '--no-policy'])).code).toBe(0);
    expect((await run(['cm.yaml', '--no-policy', '--policy', 'portcullis.yaml'])).code).toBe(2);
  });

  it('refuses a policy naming an audit rule that does not exist, with its line', async () => {
    await writeFile(path.join(dir, 'p3.yaml'), `${POLICY_HEAD}audit:\n  rules:\n    PC-K8S-999: off\n`);
    const r = await audit(['cm.yaml', '--policy', 'p3.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('p3.yaml:5:5: audit.rules.PC-K8S-999: unknown rule id');
    expect(r.stderr).toContain('[POLICY_INVALID]');
  });

  it('--format json follows docs/audit-json.schema.json', async () => {
    const schema = JSON.parse(
      await readFile(path.join(repoRoot, 'docs', 'audit-json.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
    const r = await audit(['cm.yaml', '--format', 'json']);
    const doc = JSON.parse(r.stdout) as {
      summary: { total: number; objects: number };
      findings: { ruleId: string; line: number }[];
    };
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.summary).toMatchObject({ total: 1, objects: 1 });
    expect(doc.findings[0]).toMatchObject({ ruleId: 'PC-K8S-000', line: 7 });
  });

  it('--format sarif is valid SARIF 2.1.0 and --output writes it to a file', async () => {
    const r = await audit(['cm.yaml', '--format', 'sarif', '--output', 'out.sarif']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const doc: unknown = JSON.parse(await readFile(path.join(dir, 'out.sarif'), 'utf8'));
    const validate = sarifValidator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(JSON.stringify(doc)).toContain('docs/rules/PC-K8S-000.md');
  });

  it('reads stdin for -, as helm template output arrives', async () => {
    const helm = `---\n# Source: chart/templates/cm.yaml\n${REASONLESS}---\n# Source: chart/templates/empty.yaml\n`;
    const r = await audit(['-', '--format', 'json'], { stdin: helm });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { findings: { file: string; line: number }[] };
    expect(doc.findings.map((f) => [f.file, f.line])).toEqual([['-', 9]]);
  });

  it('says so when there is nothing to audit, and exits 0', async () => {
    const r = await audit(['-', '--fail-on', 'info'], {
      stdin: '---\n# Source: chart/templates/none.yaml\n',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('portcullis: note: no Kubernetes objects found\n');
    expect(r.stdout).toBe('0 finding(s) in 0 object(s)\n');
  });

  it('walks directories for *.yaml, *.yml and *.json in sorted order, skipping non-objects with a note', async () => {
    const r = await audit(['tree', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `portcullis: note: ${path.join('tree', 'Chart.yaml')} document 1: the object has no kind; skipped\n`,
    );
    const doc = JSON.parse(r.stdout) as { summary: { objects: number }; findings: { file: string }[] };
    expect(doc.summary.objects).toBe(2);
    expect(doc.findings.map((f) => f.file)).toEqual([
      path.join('tree', 'a.json'),
      path.join('tree', 'b', 'two.yml'),
    ]);
  });

  it.each([
    [
      ['broken.yaml'],
      /^portcullis: broken\.yaml document 2: not valid YAML: .* \(broken\.yaml:7:1\) \[MANIFESTS_INVALID\]\n$/,
    ],
    [['missing.yaml'], /^portcullis: missing\.yaml: cannot read: .*ENOENT.* \[MANIFESTS_UNREADABLE\]\n$/],
    [['cm.yaml', '--format', 'xml'], /unknown --format "xml": expected text, json, sarif \[USAGE\]/],
    [['cm.yaml', '--fail-on', 'urgent'], /unknown --fail-on "urgent"/],
    [['-', '-'], /stdin \(-\) may be given once/],
    [['--format', 'json'], /audit needs manifest PATHs/],
  ])('exits 2 for invalid input %j', async (argv, message) => {
    const r = await audit(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('exits 6 for input over a cap', async () => {
    const r = await audit(['-'], { stdin: 'a'.repeat((8 << 20) + 1) });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('[MANIFESTS_TOO_LARGE]');
  });

  it('hands encryption-config to its own command', async () => {
    const r = await audit(['encryption-config', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: portcullis audit encryption-config FILE');
  });

  it('runs as `portcullis audit` from the command table', async () => {
    const r = await runCliCaptured(['audit', 'cm.yaml', '--fail-on', 'low'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('PC-K8S-000');
  });

  it('prints usage without arguments (exit 2) and with --help (exit 0)', async () => {
    const none = await audit([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: portcullis audit PATH...');
    const help = await audit(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('portcullis.dev/ignore');
  });
});
