import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors.js';
import { assertKnownRuleIds, lintSettings, unknownRuleIds } from './lint.js';
import { parsePolicy } from './load.js';

const HEAD = 'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n';

describe('lintSettings', () => {
  it.each([
    ['no lint section', '', { disabled: [], severityOverrides: {} }],
    ['"off"', 'lint:\n  rules: { PC-DF-004: off }\n', { disabled: ['PC-DF-004'], severityOverrides: {} }],
    [
      'a bare severity',
      'lint:\n  rules: { PC-DF-002: critical }\n',
      { disabled: [], severityOverrides: { 'PC-DF-002': 'critical' } },
    ],
    [
      'enabled: false wins over a severity',
      'lint:\n  rules: { PC-DF-002: { enabled: false, severity: high } }\n',
      { disabled: ['PC-DF-002'], severityOverrides: {} },
    ],
    [
      'an object with a severity',
      'lint:\n  rules: { PC-DF-002: { enabled: true, severity: info } }\n',
      { disabled: [], severityOverrides: { 'PC-DF-002': 'info' } },
    ],
    // Rules are on by default; saying so changes nothing.
    [
      'enabled: true alone',
      'lint:\n  rules: { PC-DF-002: { enabled: true } }\n',
      { disabled: [], severityOverrides: {} },
    ],
    [
      'trusted registries, minimal bases and failOn',
      'registries:\n  trusted: [ghcr.io/acme, docker.io]\nlint:\n  minimalBases: [ghcr.io/acme/hardened]\n  failOn: medium\n',
      {
        disabled: [],
        severityOverrides: {},
        trustedRegistries: ['ghcr.io/acme', 'docker.io'],
        minimalBases: ['ghcr.io/acme/hardened'],
        failOn: 'medium',
      },
    ],
    // An empty trusted list is a list: nothing is trusted, so PC-DF-003 flags every base.
    [
      'an empty trusted list',
      'registries: { trusted: [] }\n',
      { disabled: [], severityOverrides: {}, trustedRegistries: [] },
    ],
  ])('%s', (_name, body, expected) => {
    // toStrictEqual: keys that are absent must stay absent (exactOptionalPropertyTypes callers).
    expect(lintSettings(parsePolicy(HEAD + body))).toStrictEqual(expected);
  });
});

describe('unknownRuleIds', () => {
  const policy = parsePolicy(
    HEAD + 'lint:\n  rules:\n    PC-DF-004: off\n    PC-DF-999: high\n    PC-IMG-001: low\n',
    'portcullis.yaml',
  );

  it('lists ids the caller does not know, with the line of each key', () => {
    expect(unknownRuleIds(policy, ['PC-DF-004', 'PC-IMG-001'])).toEqual([
      {
        id: 'PC-DF-999',
        location: 'portcullis.yaml:6:5',
        message: 'portcullis.yaml:6:5: lint.rules.PC-DF-999: unknown rule id',
      },
    ]);
    expect(unknownRuleIds(policy, ['PC-DF-004', 'PC-DF-999', 'PC-IMG-001'])).toEqual([]);
  });

  it('assertKnownRuleIds throws POLICY_INVALID naming every unknown id and the known ones', () => {
    let caught: unknown;
    try {
      assertKnownRuleIds(policy, new Set(['PC-DF-004']));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    expect(caught).toMatchObject({
      code: 'POLICY_INVALID',
      message:
        'portcullis.yaml:6:5: lint.rules.PC-DF-999: unknown rule id\n' +
        'portcullis.yaml:7:5: lint.rules.PC-IMG-001: unknown rule id\n' +
        '(known rule ids: PC-DF-004)',
    });
    expect(() => {
      assertKnownRuleIds(policy, ['PC-DF-004', 'PC-DF-999', 'PC-IMG-001']);
    }).not.toThrow();
  });
});
