import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCommandCaptured } from '../testing/cli.js';
import { repoRoot, sharedData } from '../testing/fixtures.js';
import { runAuditEncryptionConfig } from './commands/audit-encryption.js';
import { runAudit } from './commands/audit.js';

const fixtures = (): string => sharedData('lint-audit', 'k8s', 'encryption-config');
const apiserver = (): string => sharedData('encryption-config', 'k8s-apiserver');

function auditEnc(argv: readonly string[], cwd = fixtures()) {
  return runCommandCaptured(runAuditEncryptionConfig, argv, { cwd });
}

// Every `secret:` value in a file, and what it decodes to when that is text.
function keyMaterial(text: string): string[] {
  const values = [...text.matchAll(/"?secret"?:\s*"?([A-Za-z0-9+/=]{6,})"?/g)].map((m) => m[1] ?? '');
  return [...new Set(values.flatMap((v) => [v, Buffer.from(v, 'base64').toString('latin1')]))];
}

describe('portcullis audit encryption-config', () => {
  // EXPECTED.md: FAIL exits 1 at the default --fail-on high; WARN only with --fail-on medium.
  const verdicts: readonly [string, string][] = [
    ['01-identity-first.yaml', 'FAIL'],
    ['02-aescbc-first-identity-fallback.yaml', 'WARN'],
    ['03-aesgcm-first.yaml', 'WARN'],
    ['04-secretbox-first.yaml', 'PASS'],
    ['05-kms-v2-first.yaml', 'PASS'],
    ['06-kms-v1-first.yaml', 'WARN'],
    ['07-secrets-not-covered.yaml', 'FAIL'],
    ['08-wildcard-with-events-optout.yaml', 'PASS'],
    ['09-short-aescbc-key.yaml', 'FAIL'],
  ];

  it.each(verdicts)('%s (%s): exit codes at --fail-on high and medium', async (file, verdict) => {
    const high = await auditEnc([file]);
    const medium = await auditEnc([file, '--fail-on', 'medium']);
    expect([high.code, medium.code], high.stdout).toEqual(
      verdict === 'FAIL' ? [1, 1] : verdict === 'WARN' ? [0, 1] : [0, 0],
    );
  });

  it('prints each finding with file:line, id, path and fix', async () => {
    const r = await auditEnc(['01-identity-first.yaml']);
    expect(r.stdout).toContain(
      '01-identity-first.yaml:10 high PC-K8S-080 identity is the first provider for secrets',
    );
    expect(r.stdout).toContain('at: resources[0].providers[0]');
    expect(r.stdout).toContain('fix: Put an encrypting provider');
  });

  it('--format json follows docs/audit-json.schema.json', async () => {
    const schema = JSON.parse(
      readFileSync(path.join(repoRoot, 'docs', 'audit-json.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
    const r = await auditEnc(['07-secrets-not-covered.yaml', '--format', 'json']);
    const doc = JSON.parse(r.stdout) as {
      summary: { high: number };
      findings: { ruleId: string; file: string }[];
    };
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.summary.high).toBe(1);
    expect(doc.findings[0]).toMatchObject({ ruleId: 'PC-K8S-081', file: '07-secrets-not-covered.yaml' });
  });

  it('--format sarif names the rules it reports', async () => {
    const r = await auditEnc(['09-short-aescbc-key.yaml', '--format', 'sarif']);
    const log = JSON.parse(r.stdout) as {
      runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string }[] }[];
    };
    const ruleIds = log.runs[0]?.tool.driver.rules.map((x) => x.id) ?? [];
    for (const result of log.runs[0]?.results ?? []) expect(ruleIds).toContain(result.ruleId);
    expect(log.runs[0]?.results.map((x) => x.ruleId)).toContain('PC-K8S-086');
  });

  it('never prints key material in any format', async () => {
    const dirs = [fixtures(), path.join(apiserver(), 'valid-configs')];
    for (const dir of dirs) {
      for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) =>
        /\.(ya?ml|json)$/.test(n),
      )) {
        const secrets = keyMaterial(readFileSync(path.join(dir, name), 'utf8'));
        for (const format of ['text', 'json', 'sarif']) {
          const r = await auditEnc([name, '--format', format], dir);
          for (const s of secrets) expect(r.stdout + r.stderr, `${name} ${format}`).not.toContain(s);
        }
      }
    }
  });

  it.each([
    ['invalid-aes-gcm.yaml', 'invalid-aes-gcm.yaml:8: resources[0].providers[0].aesgcm.keys: Required value'],
    [
      'invalid-typo.yaml',
      'invalid-typo.yaml:26: strict decoding error: unknown field "resources[0].providers[3].kms.pandas"',
    ],
    ['kms/invalid-apiversion.yaml', 'resources[0].providers[0].kms.apiVersion: Invalid value: "v3"'],
    ['kms/invalid-config-type.yaml', 'no kind "EncryptionConfigurations" is registered'],
    ['kms/invalid-content.yaml', 'is empty'],
    ['kms/invalid-gvk.yaml', "Object 'Kind' is missing"],
  ])('exits 2 for the apiserver test case %s, naming the problem', async (name, message) => {
    const r = await auditEnc([name], path.join(apiserver(), 'invalid-configs'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('[ENCRYPTION_CONFIG_INVALID]');
    expect(r.stdout).toBe('');
  });

  it('exits 2 for a missing file and for bad flags', async () => {
    const missing = await auditEnc(['nope.yaml']);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      expect.stringContaining('[ENCRYPTION_CONFIG_UNREADABLE]'),
    ]);
    for (const [argv, message] of [
      [['05-kms-v2-first.yaml', '--fail-on', 'severe'], 'unknown --fail-on "severe"'],
      [['05-kms-v2-first.yaml', '--format', 'xml'], '--format must be one of'],
      [[], 'exactly one FILE'],
    ] as const) {
      const r = await auditEnc(argv);
      expect([r.code, r.stderr]).toEqual([2, expect.stringContaining(message)]);
    }
  });

  it('is reached through portcullis audit encryption-config', async () => {
    const r = await runCommandCaptured(
      runAudit,
      ['encryption-config', '06-kms-v1-first.yaml', '--fail-on', 'medium'],
      { cwd: fixtures() },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('PC-K8S-084');
  });

  describe('--output', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-audit-enc-'));
    });
    it('writes the report to a file instead of stdout', async () => {
      const out = path.join(dir, 'report.json');
      writeFileSync(path.join(dir, 'enc.yaml'), readFileSync(path.join(fixtures(), '05-kms-v2-first.yaml')));
      const r = await auditEnc(['enc.yaml', '--format', 'json', '--output', out], dir);
      expect([r.code, r.stdout]).toEqual([0, '']);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ summary: { total: 0 } });
    });
  });

  it('applies the policy audit section: rules off, severities, and ignore entries by kind and file name', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pc-audit-enc-policy-'));
    const policyFile = (audit: string) => {
      const file = path.join(dir, `p${String(Math.random()).slice(2, 8)}.yaml`);
      writeFileSync(file, `apiVersion: portcullis.dev/v1alpha1\nkind: Policy\naudit:\n${audit}`);
      return file;
    };
    const plain = await auditEnc(['01-identity-first.yaml', '--format', 'json']);
    expect(plain.code).toBe(1);
    const ids = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as { findings: { ruleId: string; severity: string }[] }).findings.map(
        (f) => `${f.ruleId}:${f.severity}`,
      );
    expect(ids(plain)).toContain('PC-K8S-080:high');

    const ignored = await auditEnc([
      '01-identity-first.yaml',
      '--format',
      'json',
      '--policy',
      policyFile(
        '  ignore:\n    - rule: PC-K8S-080\n      kind: EncryptionConfiguration\n      name: 01-identity-first.yaml\n      reason: migration to KMS v2 in progress\n',
      ),
    ]);
    expect(ids(ignored)).not.toContain('PC-K8S-080:high');
    const suppressed = (JSON.parse(ignored.stdout) as { suppressed?: { ruleId: string }[] }).suppressed ?? [];
    expect(suppressed.map((f) => f.ruleId)).toContain('PC-K8S-080');

    const lowered = await auditEnc([
      '01-identity-first.yaml',
      '--format',
      'json',
      '--policy',
      policyFile('  rules:\n    PC-K8S-080: low\n'),
    ]);
    expect(ids(lowered)).toContain('PC-K8S-080:low');

    const failOn = await auditEnc([
      '02-aescbc-first-identity-fallback.yaml',
      '--policy',
      policyFile('  failOn: medium\n'),
    ]);
    expect(failOn.code).toBe(1);

    // One audit section for both commands: the manifest audit accepts the encryption rule ids.
    const manifests = await runCommandCaptured(
      runAudit,
      [
        '--policy',
        policyFile('  rules:\n    PC-K8S-085: off\n'),
        path.join(repoRoot, 'examples', 'portcullis.yaml'),
      ],
      { cwd: dir },
    );
    expect(manifests.stderr).not.toMatch(/unknown|PC-K8S-085/);
    expect(manifests.code).toBe(0);
  });
});
