import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAtLeast, type Severity } from '../../report/index.js';
import { sharedData } from '../../testing/fixtures.js';
import type { AuditFinding } from '../types.js';
import { auditEncryptionConfig, secretsCoverage } from './audit.js';
import { parseEncryptionConfig } from './parse.js';
import { ENCRYPTION_CONFIG_RULES } from './rules.js';

// ../shared/data/lint-audit/k8s/encryption-config: authored cases with the verdicts of
// EXPECTED.md. FAIL: a high (or critical) finding; WARN: a medium one and nothing higher;
// PASS: nothing above low; "PASS (info)": an info finding as well.
const fixtures = (): string => sharedData('lint-audit', 'k8s', 'encryption-config');

function auditFile(file: string): AuditFinding[] {
  return auditEncryptionConfig(parseEncryptionConfig(readFileSync(file, 'utf8'), file));
}

function verdictOf(findings: readonly AuditFinding[]): string {
  const has = (s: Severity): boolean => findings.some((f) => isAtLeast(f.severity, s));
  if (has('high')) return 'FAIL';
  if (has('medium')) return 'WARN';
  return findings.some((f) => f.severity === 'info') ? 'PASS (info)' : 'PASS';
}

function audit(text: string): AuditFinding[] {
  return auditEncryptionConfig(parseEncryptionConfig(text, 'enc.yaml'));
}

const ids = (findings: readonly AuditFinding[]): string[] =>
  [...new Set(findings.map((f) => f.ruleId))].sort();

describe('auditEncryptionConfig on the authored cases (EXPECTED.md)', () => {
  // [file, verdict, the rules that must fire]
  const expected: readonly [string, string, readonly string[]][] = [
    ['01-identity-first.yaml', 'FAIL', ['PC-K8S-080']],
    ['02-aescbc-first-identity-fallback.yaml', 'WARN', ['PC-K8S-082']],
    ['03-aesgcm-first.yaml', 'WARN', ['PC-K8S-083']],
    ['04-secretbox-first.yaml', 'PASS (info)', ['PC-K8S-085']],
    ['05-kms-v2-first.yaml', 'PASS', []],
    ['06-kms-v1-first.yaml', 'WARN', ['PC-K8S-084']],
    ['07-secrets-not-covered.yaml', 'FAIL', ['PC-K8S-081']],
    ['08-wildcard-with-events-optout.yaml', 'PASS (info)', ['PC-K8S-089', 'PC-K8S-090']],
    ['09-short-aescbc-key.yaml', 'FAIL', ['PC-K8S-086']],
  ];

  it('has a case for every fixture', () => {
    expect(
      readdirSync(fixtures())
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    ).toEqual(expected.map(([f]) => f));
  });

  it.each(expected)('%s: %s', (name, verdict, rules) => {
    const findings = auditFile(path.join(fixtures(), name));
    expect(verdictOf(findings), JSON.stringify(findings, undefined, 1)).toBe(verdict);
    expect(ids(findings)).toEqual(expect.arrayContaining([...rules]));
  });

  it('names the rule that makes each FAIL a FAIL', () => {
    const highest = (name: string): string[] =>
      auditFile(path.join(fixtures(), name))
        .filter((f) => f.severity === 'high')
        .map((f) => f.ruleId);
    expect(highest('01-identity-first.yaml')).toEqual(['PC-K8S-080']);
    expect(highest('07-secrets-not-covered.yaml')).toEqual(['PC-K8S-081']);
    expect(highest('09-short-aescbc-key.yaml')).toEqual(['PC-K8S-086']);
  });

  it('points at the provider line', () => {
    const [finding] = auditFile(path.join(fixtures(), '01-identity-first.yaml')).filter(
      (f) => f.ruleId === 'PC-K8S-080',
    );
    expect(finding).toMatchObject({
      objectPath: 'resources[0].providers[0]',
      line: 10,
      resource: { kind: 'EncryptionConfiguration', apiVersion: 'apiserver.config.k8s.io/v1' },
    });
  });
});

describe('auditEncryptionConfig on the apiserver valid configs', () => {
  const dir = (): string => sharedData('encryption-config', 'k8s-apiserver', 'valid-configs');
  const cases: readonly [string, string, readonly string[]][] = [
    ['identity-first.yaml', 'FAIL', ['PC-K8S-080']],
    ['legacy.yaml', 'FAIL', ['PC-K8S-080', 'PC-K8S-084']],
    ['aes-cbc-first.yaml', 'FAIL', ['PC-K8S-082', 'PC-K8S-084', 'PC-K8S-086', 'PC-K8S-088']],
    ['aes-gcm-first.yaml', 'WARN', ['PC-K8S-083', 'PC-K8S-084']],
    ['secret-box-first.yaml', 'WARN', ['PC-K8S-084', 'PC-K8S-085']],
    ['kmsv2-first.yaml', 'WARN', ['PC-K8S-084']],
    ['kms/multiple-providers-kmsv2.yaml', 'PASS', []],
    // Resources "ignored": Secrets are not covered.
    ['aes/aes-cbc-multiple-keys.json', 'FAIL', ['PC-K8S-081', 'PC-K8S-082']],
  ];
  it.each(cases)('%s: %s', (name, verdict, rules) => {
    const findings = auditFile(path.join(dir(), name));
    expect(verdictOf(findings)).toBe(verdict);
    expect(ids(findings)).toEqual(expect.arrayContaining([...rules]));
  });
});

describe('auditEncryptionConfig rules', () => {
  const head = 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n';
  const key32 = Buffer.alloc(32, 7).toString('base64');
  const key32b = Buffer.alloc(32, 9).toString('base64');

  it('finds Secrets through *. before *.* and an exact entry before both', () => {
    const entry = (r: string) => ({ resources: [r], providers: [{ type: 'identity' as const }] });
    expect(secretsCoverage([entry('*.*'), entry('*.')])).toEqual({ entry: 1, via: '*.' });
    expect(secretsCoverage([entry('*.*'), entry('secrets')])).toEqual({ entry: 1, via: 'secrets' });
    expect(secretsCoverage([entry('configmaps'), entry('*.apps')])).toBeUndefined();
  });

  it('flags identity first when Secrets are covered only by a wildcard', () => {
    const findings = audit(`${head}  - resources: ['*.*']\n    providers: [identity: {}]\n`);
    expect(findings.find((f) => f.ruleId === 'PC-K8S-080')?.message).toContain("through '*.*'");
  });

  it('reports duplicate key names within an entry, across providers of a type too', () => {
    const findings = audit(
      `${head}  - resources: [secrets]\n    providers:\n      - secretbox: {keys: [{name: a, secret: ${key32}}, {name: a, secret: ${key32b}}]}\n      - secretbox: {keys: [{name: b, secret: ${key32}}, {name: a, secret: ${key32b}}]}\n`,
    );
    expect(findings.filter((f) => f.ruleId === 'PC-K8S-087').map((f) => f.objectPath)).toEqual([
      'resources[0].providers[0].secretbox.keys[1].name',
      'resources[0].providers[1].secretbox.keys[1].name',
    ]);
  });

  it('reports a duplicate kms v1 name (the apiserver only refuses it on reload)', () => {
    const findings = audit(
      `${head}  - resources: [secrets]\n    providers:\n      - kms: {name: k, endpoint: "unix:///a"}\n      - kms: {name: k, endpoint: "unix:///b"}\n`,
    );
    expect(ids(findings)).toEqual(['PC-K8S-084', 'PC-K8S-087']);
  });

  it('rates a short aescbc key that only decrypts lower than one that writes', () => {
    const short = Buffer.alloc(24, 5).toString('base64');
    const findings = audit(
      `${head}  - resources: [secrets]\n    providers:\n      - secretbox: {keys: [{name: a, secret: ${key32}}]}\n      - aescbc: {keys: [{name: old, secret: ${short}}]}\n`,
    );
    expect(findings.filter((f) => f.ruleId === 'PC-K8S-086').map((f) => f.severity)).toEqual(['medium']);
  });

  it('is quiet about a random secretbox key apart from the KMS v2 advice', () => {
    const findings = audit(
      `${head}  - resources: [secrets]\n    providers:\n      - secretbox: {keys: [{name: a, secret: ${key32}}]}\n      - identity: {}\n`,
    );
    expect(ids(findings)).toEqual(['PC-K8S-085']);
  });

  it('every rule has a docs anchor in docs/encryption-config.md', () => {
    const docs = readFileSync(
      path.join(import.meta.dirname, '..', '..', '..', 'docs', 'encryption-config.md'),
      'utf8',
    );
    for (const rule of ENCRYPTION_CONFIG_RULES) {
      expect(rule.docs).toBe(`docs/encryption-config.md#${rule.id.toLowerCase()}`);
      expect(docs).toContain(`### ${rule.id}`);
    }
  });

  it('never puts key material in a finding', () => {
    const dirs = [fixtures(), sharedData('encryption-config', 'k8s-apiserver', 'valid-configs')];
    for (const dir of dirs) {
      for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) =>
        /\.(ya?ml|json)$/.test(n),
      )) {
        const text = readFileSync(path.join(dir, f), 'utf8');
        const secrets = [...text.matchAll(/"?secret"?:\s*"?([A-Za-z0-9+/=]+)"?/g)].map((m) => m[1] ?? '');
        const out = JSON.stringify(auditFile(path.join(dir, f)));
        for (const s of secrets) {
          expect(out).not.toContain(s);
          expect(out).not.toContain(Buffer.from(s, 'base64').toString('utf8'));
        }
      }
    }
  });
});
