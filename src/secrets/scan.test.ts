import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactText, scanBuffer, scanText } from './scan.js';
import type { SecretFinding } from './types.js';

const fixtureDir = path.join(import.meta.dirname, 'testdata', 'trivy');
const fixtures = ['aws-secrets.txt', 'docker-secrets.txt', 'jwt-secret.txt'];

// The raw secret values in the fixtures (testdata/trivy/EXPECTED.md): none may leak.
const rawSecrets = [
  '12ASD34qwe56CXZ78tyH10Tna543VBokN85RHCas',
  'AKIA0123456789ABCDEF',
  'KEYKEYKEYKEYKEYKEYKEYKEYKEYKEYKEYKEYKEYK',
  'eyE1x2a3MpLe',
  'ewE1x2a3MpLe',
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
];

function formatLine(f: SecretFinding): string {
  return `${f.path}:${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.redacted}`;
}

describe('rendering findings', () => {
  const findings = fixtures.flatMap((file) =>
    scanText(readFileSync(path.join(fixtureDir, file), 'utf8'), { path: file }),
  );

  it('never shows a raw secret in JSON or text output, nor in the redacted lines', () => {
    expect(findings.length).toBe(6);
    const json = JSON.stringify(findings);
    const text = findings.map(formatLine).join('\n');
    const masked = fixtures
      .map((file) => {
        const content = readFileSync(path.join(fixtureDir, file), 'utf8');
        return redactText(
          content,
          findings.filter((f) => f.path === file),
        );
      })
      .join('\n');
    for (const secret of rawSecrets) {
      // Also no long piece of it: anything past the few leading characters is hidden.
      for (const out of [json, text, masked]) {
        expect(out).not.toContain(secret);
        expect(out).not.toContain(secret.slice(3, 11));
      }
    }
  });

  it('keeps only the fields of a finding, with no raw match on the object', () => {
    for (const f of findings) {
      expect(Object.keys(f).sort()).toEqual(
        ['column', 'endColumn', 'endLine', 'line', 'path', 'redacted', 'ruleId', 'severity', 'title'].sort(),
      );
    }
  });

  it('formats a finding as path:line:col severity id redacted', () => {
    const [first] = scanText('x\n  GITHUB_TOKEN=ghp_' + 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3gH5', {
      path: 'Dockerfile',
    });
    expect(first).toBeDefined();
    if (first === undefined) return;
    expect(formatLine(first)).toBe('Dockerfile:2:16 critical github-token ghp********');
    expect(first.endLine).toBe(2);
    expect(first.endColumn).toBe(16 + 40);
  });
});

describe('redactText', () => {
  it('masks a single line given its line number', () => {
    const text = 'a=1\nDB_PASSWORD=Zx8qP2mN7rT4vB1k\n';
    const findings = scanText(text);
    const line = text.split('\n')[1] ?? '';
    expect(redactText(line, findings, { firstLine: 2 })).toBe('DB_PASSWORD=Zx8********');
  });

  it('leaves text without findings unchanged', () => {
    expect(redactText('hello', [])).toBe('hello');
  });
});

describe('scanBuffer', () => {
  const secretLine = 'AWS_ACCESS_KEY_ID=AKIA0123456789ABCDEF\n';

  it('scans UTF-8 text', () => {
    expect(scanBuffer(Buffer.from(secretLine)).map((f) => f.ruleId)).toEqual(['aws-access-key-id']);
  });

  it('skips binary content (a NUL byte near the start)', () => {
    expect(
      scanBuffer(Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), Buffer.from(secretLine)])),
    ).toEqual([]);
  });
});

describe('scanText limits', () => {
  it('finds a secret far into a very long line, at the right column', () => {
    const pad = 'a '.repeat(10_000);
    const [f] = scanText(`${pad}AKIA0123456789ABCDEF ${pad}`);
    expect(f?.ruleId).toBe('aws-access-key-id');
    expect(f?.column).toBe(pad.length + 1);
  });

  it('reports a secret that straddles a window edge once', () => {
    const pad = 'b'.repeat(4090) + ' ';
    expect(scanText(`${pad}AKIA0123456789ABCDEF`).map((f) => f.column)).toEqual([pad.length + 1]);
  });

  it('scans only the first maxBytes characters', () => {
    const text = `${'x\n'.repeat(100)}AKIA0123456789ABCDEF`;
    expect(scanText(text, { maxBytes: 100 })).toEqual([]);
    expect(scanText(text)).toHaveLength(1);
  });

  it('runs only the rules it is given', () => {
    expect(scanText('AKIA0123456789ABCDEF', { rules: [] })).toEqual([]);
  });

  it('stays fast on inputs built to make regexes backtrack', () => {
    const nasty = [
      `password=${'='.repeat(50_000)}`,
      `https://${'a:'.repeat(30_000)}`,
      `eyJ${'A'.repeat(30_000)}.${'.'.repeat(10_000)}`,
      `-----BEGIN ${'A '.repeat(20_000)}PRIVATE KEY-----`,
      'aws_key'.repeat(10_000),
      `"auth":"${'A'.repeat(60_000)}`,
    ].join('\n');
    const started = performance.now();
    scanText(nasty);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
