import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanText } from './scan.js';

// Trivy's secret-scanner fixtures (testdata/trivy/README.md) with the findings its test suite
// expects (testdata/trivy/EXPECTED.md), as rule id and line. Trivy's rule ids map to ours:
// aws-access-key-id, aws-secret-access-key, dockerconfig-secret and jwt-token are the same.
// Every category in these fixtures is covered; config.yaml and skip-test.yaml are trivy scanner
// configs (custom rules, allow-rule switches), not inputs, and we scan them only to show they
// raise nothing.
const dir = path.join(import.meta.dirname, 'testdata', 'trivy');

const cases: readonly {
  file: string;
  expected: readonly { ruleId: string; line: number; severity?: string }[];
}[] = [
  {
    file: 'aws-secrets.txt',
    expected: [
      { ruleId: 'aws-secret-access-key', line: 1 },
      { ruleId: 'aws-access-key-id', line: 2 },
      // Line 4 is AWS's documented example key AKIAIOSFODNN7EXAMPLE: a placeholder, as in trivy.
      { ruleId: 'aws-secret-access-key', line: 5 },
    ],
  },
  {
    file: 'docker-secrets.txt',
    expected: [
      { ruleId: 'dockerconfig-secret', line: 2, severity: 'high' },
      { ruleId: 'dockerconfig-secret', line: 4, severity: 'high' },
    ],
  },
  { file: 'jwt-secret.txt', expected: [{ ruleId: 'jwt-token', line: 3, severity: 'medium' }] },
  { file: 'invalid-aws-secrets.txt', expected: [] },
  { file: 'config.yaml', expected: [] },
  { file: 'skip-test.yaml', expected: [] },
];

describe('trivy secret fixtures', () => {
  it.each(cases)('$file: finds exactly the expected secrets at the expected lines', (c) => {
    const text = readFileSync(path.join(dir, c.file), 'utf8');
    const findings = scanText(text, { path: c.file });
    expect(findings.map((f) => ({ ruleId: f.ruleId, line: f.line }))).toEqual(
      c.expected.map((e) => ({ ruleId: e.ruleId, line: e.line })),
    );
    for (const [i, e] of c.expected.entries()) {
      if (e.severity !== undefined) expect(findings[i]?.severity).toBe(e.severity);
      expect(findings[i]?.path).toBe(c.file);
    }
  });
});
