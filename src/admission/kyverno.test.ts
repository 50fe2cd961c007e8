import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/index.js';
import type { Policy } from '../policy/index.js';
import { sharedData } from '../testing/fixtures.js';
import { decide, parseAdmissionReview } from './index.js';
import type { Decision } from './index.js';

/**
 * Kyverno's best-practices restrict-image-registries and disallow-latest-tag policies
 * (kyverno/policies, ../shared/data/kyverno-policies, see SOURCES.md) written as Portcullis
 * policies (testdata/kyverno/*.yaml), judged against Kyverno's own test resources: the CLI
 * tests (.kyverno-test: pass → allowed, fail → denied, per rule), the ValidatingPolicy
 * variants' CLI tests (best-practices-vpol, per policy) and the chainsaw e2e resources
 * (good-* applies, bad-* is refused).
 */

const NOW = new Date('2026-06-15T12:00:00Z');

const RESOURCES: Readonly<Record<string, [string, string]>> = {
  Pod: ['', 'pods'],
  Deployment: ['apps', 'deployments'],
  StatefulSet: ['apps', 'statefulsets'],
  DaemonSet: ['apps', 'daemonsets'],
  ReplicaSet: ['apps', 'replicasets'],
  Job: ['batch', 'jobs'],
  CronJob: ['batch', 'cronjobs'],
};

type K8sObject = { kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

function judge(policy: Policy, object: K8sObject): Decision {
  const [group, resource] = RESOURCES[object.kind] ?? ['', 'unknown'];
  const version = String(object['apiVersion']).split('/').pop() ?? 'v1';
  const request = parseAdmissionReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${object.metadata.name}`,
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource },
      namespace: object.metadata.namespace ?? 'default',
      operation: 'CREATE',
      userInfo: { username: 'alice' },
      object,
    },
  });
  return decide(request, policy, {}, NOW);
}

function loadObjects(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((o): o is K8sObject => typeof o === 'object' && o !== null); // eslint-disable-line no-restricted-syntax
}

/** Whether `rule` found a violation for any image of the object (exemptions none here). */
function violates(d: Decision, rule: string): boolean {
  return d.verdicts.some((v) => v.rule === rule && v.outcome === 'violation');
}

type KyvernoTest = {
  resources: string[];
  results: {
    kind: string;
    policy: string;
    rule?: string;
    resources: string[];
    result: 'pass' | 'fail' | 'skip';
  }[];
};

// Kyverno rule → our rule: disallow-latest-tag's two rules are one disallowTags rule here.
const RULES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'restrict-image-registries': { 'validate-registries': 'validate-registries' },
  'disallow-latest-tag': {
    'require-image-tag': 'disallow-latest-tag',
    'validate-image-tag': 'disallow-latest-tag',
  },
};

const POLICIES = ['restrict-image-registries', 'disallow-latest-tag'] as const;

describe.each(POLICIES)('kyverno %s', (name) => {
  const policy = parsePolicy(
    readFileSync(path.join(import.meta.dirname, 'testdata', 'kyverno', `${name}.yaml`), 'utf8'),
    `${name}.yaml`,
  );
  const ourRule = policy.rules?.[0]?.name ?? '';

  describe.each([
    ['kyverno-test', sharedData('kyverno-policies', 'best-practices', name, '.kyverno-test')],
    [
      'kyverno-test (ValidatingPolicy)',
      sharedData('signing', 'kyverno-policies-cases', 'best-practices-vpol', name, '.kyverno-test'),
    ],
  ])('%s', (_label, dir) => {
    const test = parseYaml(readFileSync(path.join(dir, 'kyverno-test.yaml'), 'utf8')) as KyvernoTest;
    const objects = test.resources.flatMap((f) => loadObjects(path.join(dir, f)));
    const rows = test.results.flatMap((r) =>
      r.resources.map((res) => [`${r.kind}/${res}`, r.rule ?? '(policy)', r.result, r] as const),
    );

    it('has results', () => {
      expect(rows.length).toBeGreaterThanOrEqual(7);
    });

    it.each(rows)('%s under %s: %s', (_id, _rule, result, r) => {
      const resourceName = _id.split('/')[1] ?? '';
      const object = objects.find((o) => o.kind === r.kind && o.metadata.name === resourceName);
      expect(object, `${r.kind}/${resourceName} in ${test.resources.join(', ')}`).toBeDefined();
      const d = judge(policy, object as K8sObject);
      const rule = r.rule === undefined ? ourRule : (RULES[name]?.[r.rule] ?? '');
      expect(rule).not.toBe('');
      expect(violates(d, rule) ? 'fail' : 'pass', d.message).toBe(result);
      expect(d.allowed).toBe(result === 'pass');
      if (result === 'fail') expect(d.message).toContain(`rule "${rule}"`);
    });
  });

  describe('chainsaw resources', () => {
    const dir = sharedData('kyverno-policies', 'best-practices', name, '.chainsaw-test');
    const cases = readdirSync(dir)
      .filter((f) => /^(good|bad)-.*\.yaml$/.test(f))
      .sort()
      .flatMap((f) =>
        loadObjects(path.join(dir, f))
          .filter((o) => o.kind in RESOURCES)
          .map((o, i) => [`${f}#${i + 1} ${o.kind}/${o.metadata.name}`, f.startsWith('good-'), o] as const),
      );

    it('has good and bad resources', () => {
      expect(cases.filter(([, good]) => good).length).toBeGreaterThan(0);
      expect(cases.filter(([, good]) => !good).length).toBeGreaterThan(0);
    });

    it.each(cases)('%s admitted: %s', (_id, good, object) => {
      const d = judge(policy, object);
      expect(d.skipped, 'every resource has pods to judge').toBeUndefined();
      expect(d.allowed, d.message).toBe(good);
    });
  });
});
