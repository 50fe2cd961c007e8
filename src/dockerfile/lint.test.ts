import { describe, expect, it } from 'vitest';
import { lintDockerfile } from './lint.js';

const ids = (text: string, options: Parameters<typeof lintDockerfile>[2] = {}): string[] =>
  lintDockerfile(text, 'Dockerfile', options).map((f) => `${f.line}:${f.ruleId}`);

describe('lintDockerfile', () => {
  it('returns findings from every rule sorted by line', () => {
    expect(ids('FROM ubuntu\nRUN sudo apt-get install -y curl\nEXPOSE 22\n')).toEqual([
      '1:PC-DF-001',
      '1:PC-DF-002',
      '1:PC-DF-004',
      '1:PC-DF-006',
      '2:PC-DF-007',
      '3:PC-DF-011',
    ]);
  });

  it('fills every finding field', () => {
    const [f] = lintDockerfile('FROM alpine:3.20\n  EXPOSE 22\nUSER 1\n', 'svc/Dockerfile', {
      disabled: ['PC-DF-002'],
    });
    expect(f).toEqual({
      ruleId: 'PC-DF-011',
      severity: 'medium',
      message: 'EXPOSE includes port 22',
      hint: expect.any(String) as string,
      path: 'svc/Dockerfile',
      line: 2,
      column: 3,
    });
  });

  const base = 'FROM alpine:3.20@sha256:' + 'a'.repeat(64) + '\n';

  it.each([
    [
      'portcullis-ignore on the line before',
      `${base}# portcullis-ignore=PC-DF-007 needed for the vendor script\nRUN sudo true\nUSER 1\n`,
      [],
    ],
    [
      'ignore applies only to the next instruction',
      `${base}# portcullis-ignore=PC-DF-007\nRUN sudo true\nRUN sudo true\nUSER 1\n`,
      ['4:PC-DF-007'],
    ],
    [
      'ignore of another rule does not apply',
      `${base}# portcullis-ignore=PC-DF-011\nRUN sudo true\nUSER 1\n`,
      ['3:PC-DF-007'],
    ],
    ['several ids', `${base}# portcullis-ignore=PC-DF-011,PC-DF-007 both\nRUN sudo true\nUSER 1\n`, []],
    ['ignore-file', `# portcullis-ignore-file=PC-DF-007, PC-DF-006\n${base}RUN sudo true\nRUN sudo x\n`, []],
    ['hadolint ignore for a mapped id', `${base}# hadolint ignore=DL3004\nRUN sudo true\nUSER 1\n`, []],
    [
      'hadolint ignore for an unmapped id',
      `${base}# hadolint ignore=DL3008\nRUN sudo true\nUSER 1\n`,
      ['3:PC-DF-007'],
    ],
    ['hadolint global ignore', `# hadolint global ignore=DL3002\n${base}USER root\n`, []],
  ])('suppression: %s', (_name, text, want) => {
    expect(ids(text, { disabled: ['PC-DF-004'] })).toEqual(want);
  });

  it('applies severity overrides and disabled rules', () => {
    const findings = lintDockerfile('FROM alpine:latest\nUSER 1\n', 'D', {
      severityOverrides: { 'PC-DF-001': 'critical' },
      disabled: ['PC-DF-002'],
    });
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual([['PC-DF-001', 'critical']]);
  });

  it('checks registries only when a trusted list is given', () => {
    const text = 'FROM quay.io/org/app:1.0\nUSER 1\n';
    expect(ids(text, { disabled: ['PC-DF-002', 'PC-DF-004'] })).toEqual([]);
    expect(ids(text, { disabled: ['PC-DF-002', 'PC-DF-004'], trustedRegistries: ['docker.io'] })).toEqual([
      '1:PC-DF-003',
    ]);
    expect(ids(text, { disabled: ['PC-DF-002', 'PC-DF-004'], trustedRegistries: ['quay.io'] })).toEqual([]);
  });
});
