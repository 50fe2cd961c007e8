import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatLintJson, formatLintSarif, formatLintText } from '../report/index.js';
import { scanText } from '../secrets/index.js';
import { sharedData } from '../testing/fixtures.js';
import { lintDockerfile } from './lint.js';
import { allRules } from './rules/index.js';

// Trivy's secret-scanner fixtures (../shared/data/lint-audit/secrets/trivy, expectations in its
// EXPECTED.md): every value the secret engine finds there is planted in a Dockerfile, in ENV and
// in RUN, and the lint report is rendered in every output format. No format may contain the
// raw value: rules put only a redacted preview in messages, and renderers add nothing of their own.
const FIXTURES = ['aws-secrets.txt', 'docker-secrets.txt', 'jwt-secret.txt'];
const TOOL = { name: 'portcullis', version: 'test' };

/** Each secret the engine finds in the fixture, raw, with the whole line it sits on. */
function plantedSecrets(file: string): { value: string; line: string }[] {
  const text = readFileSync(sharedData('lint-audit', 'secrets', 'trivy', file), 'utf8');
  const lines = text.split('\n');
  return scanText(text, { path: file })
    .filter((f) => f.line === f.endLine)
    .map((f) => {
      const line = lines[f.line - 1] ?? '';
      return { value: line.slice(f.column - 1, f.endColumn - 1), line: line.trim() };
    });
}

describe.each(FIXTURES)('secrets from %s in a Dockerfile', (file) => {
  const planted = plantedSecrets(file);
  const secrets = planted.map((p) => p.value);
  // ENV with a secret-like name carries the bare value; RUN carries the fixture's whole line,
  // since some detectors need the context around a value (a key name, `.dockercfg:`).
  const dockerfile = [
    'FROM alpine:3.20',
    ...secrets.map((s, i) => `ENV FIXTURE_TOKEN_${i}=${s}`),
    ...planted.map((p) => `RUN echo ${p.line} > /tmp/fixture`),
    'USER 65532',
    '',
  ].join('\n');
  const findings = lintDockerfile(dockerfile, 'Dockerfile');

  it('are found on the lines they were planted on', () => {
    expect(secrets.length).toBeGreaterThan(0);
    const lines = new Set(
      findings.filter((f) => f.ruleId === 'PC-DF-014' || f.ruleId === 'PC-DF-015').map((f) => f.line),
    );
    for (let i = 0; i < secrets.length; i++) {
      expect(lines, `ENV line ${i + 2}`).toContain(i + 2);
      expect(lines, `RUN line ${secrets.length + i + 2}`).toContain(secrets.length + i + 2);
    }
  });

  it.each([
    ['text', () => formatLintText(findings)],
    ['json', () => formatLintJson(findings, TOOL)],
    ['sarif', () => formatLintSarif(findings, { tool: TOOL, rules: allRules })],
  ])('never appear raw in the %s report', (_format, render) => {
    const out = render();
    for (const s of secrets) {
      expect(out).not.toContain(s);
      // Nor a long piece of one (a redaction keeps only a short prefix).
      expect(out).not.toContain(s.slice(4, 16));
    }
  });
});
