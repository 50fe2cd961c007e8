import { describe, expect, it } from 'vitest';
import { assertKnownAuditRuleIds, auditSettings, unknownAuditRuleIds } from './audit.js';
import { PolicyError } from './errors.js';
import { parsePolicy } from './load.js';

const HEAD = 'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n';

describe('the audit section', () => {
  const policy = parsePolicy(
    `${HEAD}audit:
  failOn: medium
  rules:
    PC-K8S-001: off
    PC-K8S-002: low
    PC-K8S-003: { enabled: false, severity: high }
    PC-K8S-004: { severity: critical }
  ignore:
    - rule: PC-K8S-009
      kind: Deployment
      namespace: mon*
      name: prom-?
      reason: mirrored images
      expires: 2026-12-31
`,
    'p.yaml',
  );

  it('splits rule settings, keeps failOn, and locates each ignore entry', () => {
    expect(auditSettings(policy)).toEqual({
      disabled: ['PC-K8S-001', 'PC-K8S-003'],
      severityOverrides: { 'PC-K8S-002': 'low', 'PC-K8S-004': 'critical' },
      failOn: 'medium',
      ignore: [
        {
          rule: 'PC-K8S-009',
          kind: 'Deployment',
          namespace: 'mon*',
          name: 'prom-?',
          reason: 'mirrored images',
          expires: '2026-12-31',
          location: 'p.yaml:11:7',
        },
      ],
    });
  });

  it('is empty for a policy without one', () => {
    expect(auditSettings(parsePolicy(HEAD))).toEqual({ disabled: [], severityOverrides: {}, ignore: [] });
  });

  it('names unknown rule ids in rules and ignore with their lines', () => {
    const known = ['PC-K8S-001', 'PC-K8S-002', 'PC-K8S-003'];
    expect(unknownAuditRuleIds(policy, known)).toEqual([
      'p.yaml:9:5: audit.rules.PC-K8S-004: unknown rule id',
      'p.yaml:11:13: audit.ignore[0].rule: unknown rule id "PC-K8S-009"',
    ]);
    expect(() => {
      assertKnownAuditRuleIds(policy, known);
    }).toThrow(PolicyError);
    expect(() => {
      assertKnownAuditRuleIds(policy, [...known, 'PC-K8S-004', 'PC-K8S-009']);
    }).not.toThrow();
  });

  it.each([
    ['an ignore entry without a reason', '  ignore:\n    - rule: PC-K8S-001\n', /audit\.ignore\[0\]\.reason/],
    [
      'a glob with a space',
      '  ignore:\n    - { rule: PC-K8S-001, name: "a b", reason: r }\n',
      /expected a name or glob/,
    ],
    [
      'a bad date',
      '  ignore:\n    - { rule: PC-K8S-001, reason: r, expires: 2026-02-30 }\n',
      /expected a date/,
    ],
    ['an unknown key', '  ignores: []\n', /unknown key "ignores"/],
    ['a bad rule id', '  rules:\n    K8S-1: off\n', /expected a rule id such as PC-K8S-012/],
  ])('refuses %s', (_name, section, message) => {
    expect(() => parsePolicy(`${HEAD}audit:\n${section}`, 'p.yaml')).toThrow(message);
  });
});
