import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/index.js';
import type { Policy } from '../policy/index.js';
import { sharedData } from '../testing/fixtures.js';
import {
  decide,
  formatGatekeeperPolicy,
  GatekeeperImportError,
  importGatekeeperConstraints,
  parseAdmissionReview,
} from './index.js';
import type { AdmissionRequest, Decision } from './index.js';

const NOW = new Date('2026-06-15T12:00:00Z');

/** import → format → load, the path `policy import-gatekeeper` then `--policy` takes. */
function importAndLoad(yamlText: string, fileName = 'constraint.yaml'): { text: string; policy: Policy } {
  const text = formatGatekeeperPolicy(importGatekeeperConstraints(yamlText, fileName));
  return { text, policy: parsePolicy(text, 'imported.yaml') };
}

/** Wraps an object as the API server does for a CREATE of a Pod in `namespace`. */
function review(object: Record<string, unknown>, namespace = 'default'): AdmissionRequest {
  return parseAdmissionReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-1',
      kind: { group: '', version: 'v1', kind: String(object['kind']) },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'alice' },
      object,
    },
  });
}

function pod(images: readonly string[], labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
  };
}

function judge(policy: Policy, object: Record<string, unknown>, namespace = 'default'): Decision {
  return decide(review(object, namespace), policy, {}, NOW);
}

describe('importGatekeeperConstraints', () => {
  const allowedRepos = `apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sAllowedRepos
metadata:
  name: Repo-Is-ACME
spec:
  enforcementAction: warn
  match:
    kinds:
      - apiGroups: [""]
        kinds: ["Pod"]
    namespaces: ["prod"]
    excludedNamespaces: ["prod-debug"]
    labelSelector:
      matchLabels: { team: acme }
  parameters:
    repos: ["ghcr.io/acme", "my-registry.io/"]
`;

  it('converts repos, scoping and enforcementAction, and comments where matching is stricter', () => {
    const { text, policy } = importAndLoad(allowedRepos);
    expect(policy.rules).toEqual([
      expect.objectContaining({
        name: 'repo-is-acme',
        kind: 'allowedRegistries',
        mode: 'warn',
        registries: ['ghcr.io/acme', 'my-registry.io/'],
        match: {
          namespaces: ['prod'],
          excludeNamespaces: ['prod-debug'],
          objectSelector: { matchLabels: { team: 'acme' } },
        },
      }),
    ]);
    expect(text).toMatch(/# .*"ghcr\.io\/acme": Gatekeeper matches a plain string prefix.*stricter/);
    expect(text).not.toMatch(/"my-registry\.io\/": Gatekeeper/);
    expect(text).toMatch(/# from constraint\.yaml#1 K8sAllowedRepos\/Repo-Is-ACME/);
  });

  it.each([
    ['ghcr.io/acme/app:1', 'prod', { team: 'acme' }, 'allowed'],
    ['ghcr.io/acmecorp/app:1', 'prod', { team: 'acme' }, 'warned'],
    ['my-registry.io.evil.com/x:1', 'prod', { team: 'acme' }, 'warned'],
    ['my-registry.io/x:1', 'prod', { team: 'acme' }, 'allowed'],
    ['docker.io/evil:1', 'prod-debug', { team: 'acme' }, 'allowed'],
    ['docker.io/evil:1', 'prod', { team: 'other' }, 'allowed'],
    ['docker.io/evil:1', 'dev', { team: 'acme' }, 'allowed'],
  ] as const)('judges %s in %s (%o) as %s', (image, ns, labels, expected) => {
    const d = judge(importAndLoad(allowedRepos).policy, pod([image], { ...labels }), ns);
    expect(d.allowed).toBe(true);
    expect(d.warnings.length > 0 ? 'warned' : 'allowed').toBe(expected);
  });

  it.each([
    [
      'unsupported kind',
      'kind: K8sRequiredLabels\nmetadata: { name: x }\nspec: {}',
      'GATEKEEPER_IMPORT_UNSUPPORTED',
      /K8sRequiredLabels is not supported/,
    ],
    [
      'namespace wildcard',
      'kind: K8sImageDigests\nmetadata: { name: x }\nspec: { match: { namespaces: ["kube-*"] } }',
      'GATEKEEPER_IMPORT_UNSUPPORTED',
      /wildcards are not supported/,
    ],
    [
      'unknown parameter',
      'kind: K8sImageDigests\nmetadata: { name: x }\nspec: { parameters: { foo: 1 } }',
      'GATEKEEPER_IMPORT_UNSUPPORTED',
      /parameter "foo"/,
    ],
    [
      'repos not a list',
      'kind: K8sAllowedRepos\nmetadata: { name: x }\nspec: { parameters: { repos: "ghcr.io" } }',
      'GATEKEEPER_IMPORT_INVALID',
      /parameters\.repos must be a list/,
    ],
    [
      'empty repos',
      'kind: K8sAllowedRepos\nmetadata: { name: x }\nspec: { parameters: { repos: [] } }',
      'GATEKEEPER_IMPORT_INVALID',
      /deny every image/,
    ],
    [
      'no kinds with pods',
      'kind: K8sImageDigests\nmetadata: { name: x }\nspec: { match: { kinds: [{ apiGroups: [""], kinds: ["Service"] }] } }',
      'GATEKEEPER_IMPORT_UNSUPPORTED',
      /names no Pod/,
    ],
    [
      'bad enforcementAction',
      'kind: K8sImageDigests\nmetadata: { name: x }\nspec: { enforcementAction: scoped }',
      'GATEKEEPER_IMPORT_UNSUPPORTED',
      /enforcementAction "scoped"/,
    ],
    [
      'not a constraint',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: x }',
      'GATEKEEPER_IMPORT_INVALID',
      /not a Gatekeeper constraint/,
    ],
    ['broken YAML', 'kind: [', 'GATEKEEPER_IMPORT_INVALID', /not valid YAML/],
  ])('rejects %s with a clear error', (_name, body, code, message) => {
    const yamlText = body.startsWith('apiVersion')
      ? body
      : `apiVersion: constraints.gatekeeper.sh/v1beta1\n${body}`;
    let caught: unknown;
    try {
      importGatekeeperConstraints(yamlText, 'c.yaml');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GatekeeperImportError);
    expect((caught as GatekeeperImportError).code).toBe(code);
    expect((caught as GatekeeperImportError).message).toMatch(/^c\.yaml#1/);
    expect((caught as GatekeeperImportError).message).toMatch(message);
  });

  it('reads multi-document files and Lists, skips empty documents, and keeps rule names unique', () => {
    const one =
      'apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sImageDigests\nmetadata: { name: digests }\n';
    const list = `apiVersion: v1\nkind: List\nitems:\n  - ${one.trim().split('\n').join('\n    ')}\n`;
    const imported = [
      ...importGatekeeperConstraints(`---\n${one}---\n---\n${one}`, 'a.yaml'),
      ...importGatekeeperConstraints(list, 'b.yaml'),
    ];
    const policy = parsePolicy(formatGatekeeperPolicy(imported));
    expect(policy.rules?.map((r) => r.name)).toEqual(['digests', 'digests-2', 'digests-3']);
  });
});

// ---- The Gatekeeper library suites (open-policy-agent/gatekeeper-library, see SOURCES.md) ----

type SuiteCase = { name: string; object: string; assertions: { violations: string | number | boolean }[] };
type Suite = { tests: { name: string; constraint: string; cases: SuiteCase[] }[] };

/** Whether a case expects any violation: `violations: yes|no|N` on its assertions without a message filter. */
function expectsViolation(c: SuiteCase): boolean {
  return c.assertions.some(
    (a) =>
      a.violations === true ||
      a.violations === 'yes' ||
      (typeof a.violations === 'number' && a.violations > 0),
  );
}

/**
 * Cases where Portcullis deliberately decides differently from the Rego template, by suite and
 * case name, with why. Every other case must match Gatekeeper's verdict.
 */
const STRICTER: Readonly<Record<string, string>> = {};

const SUITES = ['allowedrepos', 'allowedreposv2', 'disallowedtags', 'imagedigests'] as const;

describe.each(SUITES)('gatekeeper-library %s suite', (suiteName) => {
  const dir = sharedData('gatekeeper-library', 'general', suiteName);
  const suite = parseYaml(readFileSync(path.join(dir, 'suite.yaml'), 'utf8')) as Suite;
  const cases = suite.tests.flatMap((t) => t.cases.map((c) => ({ test: t, c })));

  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases.map(({ test, c }) => [c.name, test.constraint, c] as const))(
    '%s',
    (caseName, constraintPath, c) => {
      const { policy } = importAndLoad(readFileSync(path.join(dir, constraintPath), 'utf8'), constraintPath);
      const object = parseYaml(readFileSync(path.join(dir, c.object), 'utf8')) as Record<string, unknown>;
      // gator puts namespaced objects without a namespace in "default", as kubectl does.
      const d = judge(policy, object, 'default');
      const key = `${suiteName}/${caseName}`;
      const gatekeeperDenies = expectsViolation(c);
      const expected = STRICTER[key] !== undefined ? false : !gatekeeperDenies;
      expect(d.allowed, `${key}: ${d.message}`).toBe(expected);
      // Out of the constraint's namespaces nothing is judged, as in Gatekeeper.
      expect(judge(policy, object, 'elsewhere').allowed).toBe(true);
    },
  );
});
