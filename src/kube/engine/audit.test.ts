import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../policy/index.js';
import type { RuleMeta } from '../../report/index.js';
import { loadManifests } from '../load/parse.js';
import type { BundleRule, LoadedObject, ObjectRule } from '../types.js';
import { AuditEngineError, auditBundle, auditObjects, auditRuleMetas } from './audit.js';
import { parseIgnoreAnnotation } from './suppress.js';

// Tiny rules: each reports one thing the tests control, so the engine is tested alone.
function meta(id: string, severity: RuleMeta['severity'] = 'medium'): RuleMeta {
  return {
    id,
    severity,
    title: `rule ${id}`,
    hint: `fix ${id}`,
    docs: `docs/rules/${id}.md`,
    equivalents: {},
  };
}

/** PC-K8S-901: every env entry whose name ends in _PASSWORD, at its value. */
const envRule: ObjectRule = {
  meta: meta('PC-K8S-901', 'high'),
  *check(o) {
    const containers = (o.object['spec'] as { containers?: { env?: { name: string }[] }[] } | undefined)
      ?.containers;
    for (const [ci, c] of (containers ?? []).entries()) {
      for (const [ei, e] of (c.env ?? []).entries()) {
        if (e.name.endsWith('_PASSWORD')) {
          yield { path: ['spec', 'containers', ci, 'env', ei, 'value'], message: `${e.name} is set inline` };
        }
      }
    }
  },
};

/** PC-K8S-902: every object, at its kind, with an info-level variant for ConfigMaps. */
const everyObject: ObjectRule = {
  meta: meta('PC-K8S-902', 'low'),
  *check(o) {
    yield {
      path: ['kind'],
      message: `saw ${o.resource.kind}`,
      ...(o.resource.kind === 'ConfigMap' ? { severity: 'info' as const } : {}),
    };
  },
};

/** PC-K8S-903: a bundle rule naming the first Pod, with a chain. */
const bundleRule: BundleRule = {
  meta: meta('PC-K8S-903', 'critical'),
  *checkBundle(ctx) {
    const pod = ctx.objects.find((o) => o.resource.kind === 'Pod');
    if (pod !== undefined) {
      yield { object: pod, path: ['metadata', 'name'], message: 'bundle says hi', chain: ['A/a', 'B/b'] };
    }
  },
};

const RULES = [envRule, everyObject, bundleRule];

const BUNDLE = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
spec:
  containers:
    - name: app
      image: app:1
      env:
        - name: DB_PASSWORD
          value: x
        - name: OTHER
          value: y
        - name: API_PASSWORD
          value: z
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: prod
data:
  a: b
`;

function load(text = BUNDLE, file = 'b.yaml'): LoadedObject[] {
  return loadManifests([{ file, text }]);
}

function policy(audit: string) {
  return parsePolicy(`apiVersion: portcullis.dev/v1alpha1\nkind: Policy\naudit:\n${audit}`, 'p.yaml');
}

function withAnnotation(value: string): string {
  return BUNDLE.replace(
    '  namespace: prod\nspec:',
    `  namespace: prod\n  annotations:\n    portcullis.dev/ignore: ${JSON.stringify(value)}\nspec:`,
  );
}

describe('auditObjects', () => {
  it('adds rule metadata, resource, object path, file and line to every hit, in file/line/rule order', () => {
    const findings = auditObjects(load(), { rules: RULES });
    expect(findings.map((f) => [f.line, f.ruleId, f.severity, f.objectPath])).toEqual([
      [2, 'PC-K8S-902', 'low', 'kind'],
      [4, 'PC-K8S-903', 'critical', 'metadata.name'],
      [12, 'PC-K8S-901', 'high', 'spec.containers[0].env[0].value'],
      [16, 'PC-K8S-901', 'high', 'spec.containers[0].env[2].value'],
      [19, 'PC-K8S-902', 'info', 'kind'],
    ]);
    expect(findings[2]).toEqual({
      ruleId: 'PC-K8S-901',
      severity: 'high',
      title: 'rule PC-K8S-901',
      message: 'DB_PASSWORD is set inline',
      hint: 'fix PC-K8S-901',
      resource: { apiVersion: 'v1', kind: 'Pod', namespace: 'prod', name: 'web' },
      objectPath: 'spec.containers[0].env[0].value',
      file: 'b.yaml',
      line: 12,
    });
    expect(findings[1]?.chain).toEqual(['A/a', 'B/b']);
  });

  it('orders files as they were given, not alphabetically', () => {
    const objects = loadManifests([
      { file: 'z.yaml', text: 'kind: ConfigMap\nmetadata: {name: z}\n' },
      { file: 'a.yaml', text: 'kind: ConfigMap\nmetadata: {name: a}\n' },
    ]);
    expect(auditObjects(objects, { rules: [everyObject] }).map((f) => f.file)).toEqual(['z.yaml', 'a.yaml']);
  });

  it("applies the policy: off skips a rule, a severity replaces every hit's", () => {
    const findings = auditObjects(load(), {
      rules: RULES,
      policy: policy('  rules:\n    PC-K8S-902: off\n    PC-K8S-901: { severity: low }\n'),
    });
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual([
      ['PC-K8S-903', 'critical'],
      ['PC-K8S-901', 'low'],
      ['PC-K8S-901', 'low'],
    ]);
  });
});

describe('a rule that throws', () => {
  it('fails the audit with an error naming the rule and the object', () => {
    const broken: ObjectRule = {
      meta: meta('PC-K8S-904'),
      *check(o) {
        if (o.resource.kind === 'ConfigMap') throw new TypeError('cannot read x of undefined');
        yield* [];
      },
    };
    expect(() => auditObjects(load(), { rules: [broken] })).toThrow(AuditEngineError);
    expect(() => auditObjects(load(), { rules: [broken] })).toThrow(
      'audit rule PC-K8S-904 failed on b.yaml document 2: cannot read x of undefined',
    );
  });
});

describe('suppressions', () => {
  it('an annotation with a reason suppresses the named rules on that object only', () => {
    const report = auditBundle(load(withAnnotation('PC-K8S-901, PC-K8S-903 test fixture, not deployed')), {
      rules: RULES,
    });
    expect(report.findings.map((f) => `${f.resource.kind} ${f.ruleId}`)).toEqual([
      'Pod PC-K8S-902',
      'ConfigMap PC-K8S-902',
    ]);
    expect(report.suppressed.map((s) => [s.ruleId, s.suppressedBy])).toEqual([
      ['PC-K8S-903', { kind: 'annotation', reason: 'test fixture, not deployed' }],
      ['PC-K8S-901', { kind: 'annotation', reason: 'test fixture, not deployed' }],
      ['PC-K8S-901', { kind: 'annotation', reason: 'test fixture, not deployed' }],
    ]);
  });

  it('one entry per line, each with its own reason', () => {
    const report = auditBundle(load(withAnnotation('PC-K8S-901 placeholder values\nPC-K8S-902: seen')), {
      rules: RULES,
    });
    expect(report.findings.map((f) => `${f.resource.kind} ${f.ruleId}`)).toEqual([
      'Pod PC-K8S-903',
      'ConfigMap PC-K8S-902',
    ]);
    expect(report.suppressed.map((s) => s.suppressedBy.reason)).toEqual([
      'seen',
      'placeholder values',
      'placeholder values',
    ]);
  });

  it('an annotation without a reason suppresses nothing and is reported as PC-K8S-000 at the annotation', () => {
    const report = auditBundle(load(withAnnotation('PC-K8S-901')), { rules: RULES });
    expect(report.suppressed).toEqual([]);
    const own = report.findings.filter((f) => f.ruleId === 'PC-K8S-000');
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({
      severity: 'low',
      line: 7,
      objectPath: 'metadata.annotations["portcullis.dev/ignore"]',
      resource: { kind: 'Pod', name: 'web' },
    });
    expect(own[0]?.message).toMatch(/without a reason, so it is not applied/);
    expect(report.findings.filter((f) => f.ruleId === 'PC-K8S-901')).toHaveLength(2);
  });

  it('an annotation naming an unknown rule or no rule is reported; its known ids still apply', () => {
    const report = auditBundle(load(withAnnotation('PC-K8S-901, PC-K8S-999 fixture')), { rules: RULES });
    expect(report.findings.filter((f) => f.ruleId === 'PC-K8S-000').map((f) => f.message)).toEqual([
      'portcullis.dev/ignore names PC-K8S-999, which no audit rule has',
    ]);
    expect(report.suppressed.map((s) => s.ruleId)).toEqual(['PC-K8S-901', 'PC-K8S-901']);
    const garbage = auditBundle(load(withAnnotation('all of them please')), { rules: RULES });
    expect(garbage.findings.filter((f) => f.ruleId === 'PC-K8S-000').map((f) => f.message)).toEqual([
      'portcullis.dev/ignore entry "all of them please" does not start with a rule id such as PC-K8S-012; it suppresses nothing',
    ]);
  });

  it('policy ignore entries match rule, kind, namespace and name globs, until they expire', () => {
    const p = policy(`  ignore:
    - rule: PC-K8S-901
      kind: Pod
      namespace: pr?d
      name: w*
      reason: tracked in JIRA-1
      expires: 2030-01-31
    - rule: PC-K8S-902
      kind: ConfigMap
      reason: old
      expires: 2020-01-01
    - rule: PC-K8S-903
      namespace: staging
      reason: does not match
`);
    const report = auditBundle(load(), { rules: RULES, policy: p, now: new Date('2030-01-31T23:00:00Z') });
    expect(report.suppressed.map((s) => [s.ruleId, s.suppressedBy])).toEqual([
      [
        'PC-K8S-901',
        { kind: 'policy', reason: 'tracked in JIRA-1', location: 'p.yaml:5:7', expires: '2030-01-31' },
      ],
      [
        'PC-K8S-901',
        { kind: 'policy', reason: 'tracked in JIRA-1', location: 'p.yaml:5:7', expires: '2030-01-31' },
      ],
    ]);
    expect(report.findings.map((f) => f.ruleId)).toEqual(['PC-K8S-902', 'PC-K8S-903', 'PC-K8S-902']);
    expect(report.expiredIgnores).toEqual([
      { rule: 'PC-K8S-902', reason: 'old', expires: '2020-01-01', location: 'p.yaml:11:7', findings: 1 },
    ]);
    // The day after the last day, the first entry has expired too.
    const later = auditBundle(load(), { rules: RULES, policy: p, now: new Date('2030-02-01T00:00:00Z') });
    expect(later.suppressed).toEqual([]);
    expect(later.expiredIgnores.map((e) => [e.rule, e.findings])).toEqual([
      ['PC-K8S-901', 2],
      ['PC-K8S-902', 1],
    ]);
  });

  it('a namespace glob does not match cluster-scoped objects unless it is *', () => {
    const objects = load('kind: ClusterRole\nmetadata: {name: r}\n');
    const run = (ns: string) =>
      auditBundle(objects, {
        rules: [everyObject],
        policy: policy(`  ignore:\n    - { rule: PC-K8S-902, namespace: "${ns}", reason: r }\n`),
      }).suppressed.length;
    expect(run('*')).toBe(1);
    expect(run('default')).toBe(0);
  });
});

describe('parseIgnoreAnnotation', () => {
  it.each([
    ['PC-K8S-012 reason here', [{ ruleIds: ['PC-K8S-012'], reason: 'reason here' }], 0],
    [
      'PC-K8S-012,PC-K8S-013 - both fine',
      [{ ruleIds: ['PC-K8S-012', 'PC-K8S-013'], reason: 'both fine' }],
      0,
    ],
    ['PC-K8S-012 PC-K8S-013: ok', [{ ruleIds: ['PC-K8S-012', 'PC-K8S-013'], reason: 'ok' }], 0],
    ['PC-K8S-012', [], 1],
    ['', [], 1],
    ['because I said so', [], 1],
  ] as const)('%j', (value, entries, problems) => {
    const parsed = parseIgnoreAnnotation(value);
    expect(parsed.entries).toEqual(entries);
    expect(parsed.problems).toHaveLength(problems);
  });
});

describe('auditRuleMetas', () => {
  it("adds the engine's own PC-K8S-000 and sorts by id", () => {
    expect(auditRuleMetas([bundleRule, envRule]).map((r) => r.id)).toEqual([
      'PC-K8S-000',
      'PC-K8S-901',
      'PC-K8S-903',
    ]);
  });
});
