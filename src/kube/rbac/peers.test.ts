// The RBAC analysis against the upstream cases of rbac-tool, Checkov, Kyverno and Polaris
// (../shared/data/lint-audit/k8s, see its SOURCES.md). Where our verdict deliberately differs,
// the case is listed here with the reason and must appear in docs/kube-audit-peers.md (RBAC).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { repoRoot, sharedData } from '../../testing/fixtures.js';
import {
  CREATE_WORKLOADS,
  ESCALATE_OR_BIND,
  IMPERSONATE,
  NODES_PROXY,
  POD_EXEC,
  READ_SECRETS,
  buildRbacModel,
  findAdminBindings,
  findWildcardRoles,
  runPermissionCheck,
  whoCan,
} from './index.js';
import type { RbacFinding, RbacModel, RbacSubject } from './index.js';

type Obj = Record<string, unknown>;

function readObjects(...files: string[]): Obj[] {
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(f, 'utf8'))
      .map((d) => d.toJS() as unknown)
      .filter((o): o is Obj => typeof o === 'object' && Boolean(o) && !Array.isArray(o)),
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const K8S = (...p: string[]) => sharedData('lint-audit', 'k8s', ...p);
const peersDoc = () => readFileSync(path.join(repoRoot, 'docs', 'kube-audit-peers.md'), 'utf8');

/** The RBAC section of docs/kube-audit-peers.md must name every deliberate difference. */
function expectDocumented(caseName: string): void {
  const doc = peersDoc();
  const start = doc.indexOf('## RBAC');
  expect(start, 'docs/kube-audit-peers.md has an RBAC section').toBeGreaterThanOrEqual(0);
  const next = doc.indexOf('\n## ', start + 1);
  expect(doc.slice(start, next < 0 ? undefined : next)).toContain(caseName);
}

/** Every finding of our RBAC rules, keyed by rule id. */
const RULES: Readonly<Record<string, (m: RbacModel) => RbacFinding[]>> = {
  'PC-K8S-040': (m) => runPermissionCheck(m, READ_SECRETS),
  'PC-K8S-041': (m) => runPermissionCheck(m, ESCALATE_OR_BIND),
  'PC-K8S-042': (m) => runPermissionCheck(m, IMPERSONATE),
  'PC-K8S-043': (m) => runPermissionCheck(m, CREATE_WORKLOADS),
  'PC-K8S-044': (m) => runPermissionCheck(m, POD_EXEC),
  'PC-K8S-045': (m) => runPermissionCheck(m, NODES_PROXY),
  'PC-K8S-046': (m) => findWildcardRoles(m),
  'PC-K8S-047': (m) => findAdminBindings(m),
};

/** `Kind.namespace.name` (Checkov's resource id; cluster-scoped objects get `default`) of each object a rule reports above info. */
function reported(objects: readonly Obj[], ruleIds: readonly string[]): Set<string> {
  const model = buildRbacModel(objects);
  const out = new Set<string>();
  for (const spec of ruleIds) {
    // `PC-K8S-046:high` counts only that rule's high findings (a `*`/`*`/`*` role).
    const [id = '', only] = spec.split(':');
    const run = RULES[id];
    if (run === undefined) throw new Error(`unknown rule ${id}`);
    for (const f of run(model)) {
      if (f.severity === 'info' || (only !== undefined && f.severity !== only)) continue;
      const o = objects[f.objectIndex] ?? {};
      const meta = (o['metadata'] ?? {}) as Obj;
      const ns =
        o['kind'] === 'RoleBinding' || o['kind'] === 'Role'
          ? typeof meta['namespace'] === 'string'
            ? meta['namespace']
            : 'default'
          : 'default';
      out.add(`${String(o['kind'])}.${ns}.${String(meta['name'])}`);
    }
  }
  return out;
}

describe('rbac-tool who-can cases', () => {
  type Expected = { kind: string; name: string; namespace: string };
  // Our answer where rbac-tool's expectation is wrong for the API server (reasons in the docs table).
  const DIFFERENCES: Readonly<Record<string, { ours: Expected[]; reason: string }>> = {
    'gatewat-api-operator.yaml': {
      ours: [],
      reason: 'the ClusterRole grants create/update/delete/patch only, never get',
    },
    'nonresourceurl-reader.yaml': {
      ours: [{ kind: 'Group', name: 'system:masters', namespace: '' }],
      reason: 'a RoleBinding cannot grant nonResourceURLs',
    },
  };
  const dir = K8S('rbac-tool');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    it(`${file}: every expected subject is found, and no other`, () => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const header = text
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.replace(/^#\s?/, ''));
      const runs = header.flatMap((l) => {
        const m = /rbac-tool who-can (\S+) (\S+)(?:\s*\|\s*grep (\S+))?/.exec(l);
        return m ? [{ verb: m[1] ?? '', target: m[2] ?? '', grep: m[3] }] : [];
      });
      const expected = header.flatMap((l) => {
        const cells = l.split('|').map((c) => c.trim());
        const kind = cells[0] ?? '';
        return ['User', 'Group', 'ServiceAccount'].includes(kind)
          ? [{ kind, name: cells[1] ?? '', namespace: cells[2] ?? '' }]
          : [];
      });
      expect(runs.length).toBeGreaterThan(0);
      expect(expected.length).toBeGreaterThan(0);
      const difference = DIFFERENCES[file];
      if (difference !== undefined) expectDocumented(file);
      const want = (difference?.ours ?? expected).map((e) => `${e.kind}|${e.name}|${e.namespace}`).sort();
      const objects = readObjects(path.join(dir, file));
      for (const run of runs) {
        const query = run.target.startsWith('/')
          ? { verb: run.verb, nonResourceURL: run.target }
          : (() => {
              // rbac-tool takes a kind or resource, optionally `/name`; it lists plural resources.
              const [res = '', name] = run.target.split('/');
              const resource = res.endsWith('s') ? res : `${res}s`;
              return { verb: run.verb, resource, ...(name === undefined ? {} : { name }) };
            })();
        const entries = whoCan(objects, query, { includeSystemMasters: run.grep === undefined });
        const got = [
          ...new Set(
            entries
              .filter((e) => run.grep === undefined || e.subject.name.includes(run.grep))
              .map(
                (e) =>
                  `${e.subject.kind}|${e.subject.name}|${e.subject.kind === 'ServiceAccount' ? (e.subject.namespace ?? '') : ''}`,
              ),
          ),
        ].sort();
        expect(got, `${run.verb} ${run.target}`).toEqual(want);
        for (const e of entries) expect(e.chain.length).toBeGreaterThan(0);
      }
    });
  }
});

/** A Checkov expected.yaml: pass and fail resource ids. */
function checkovExpected(dir: string): { pass: string[]; fail: string[] } {
  const e = parseYaml(readFileSync(path.join(dir, 'expected.yaml'), 'utf8')) as {
    pass?: string[];
    fail?: string[];
  };
  return { pass: e.pass ?? [], fail: e.fail ?? [] };
}

describe('Checkov graph checks (bindings resolved to roles)', () => {
  // check → our rules, and the resources where we deliberately answer otherwise.
  const CASES: readonly {
    check: string;
    id: string;
    rules: string[];
    differ: Record<string, 'pass' | 'fail'>;
  }[] = [
    { check: 'ReadAllSecrets', id: 'CKV2_K8S_5', rules: ['PC-K8S-040'], differ: {} },
    { check: 'ImpersonatePermissions', id: 'CKV2_K8S_3', rules: ['PC-K8S-042'], differ: {} },
    {
      check: 'NoCreateNodesProxyOrPodsExec',
      id: 'CKV2_K8S_2',
      rules: ['PC-K8S-044', 'PC-K8S-045'],
      differ: {
        // A Role cannot grant nodes/proxy (nodes have no namespace); we report its `create pods` as PC-K8S-043.
        'RoleBinding.kube-system.failing-rb3': 'pass',
        // bind/create on rbac.authorization.k8s.io `*` is no pod exec nor nodes/proxy; PC-K8S-041 reports it.
        'ClusterRoleBinding.default.failing-crb4': 'pass',
        // `get nodes/proxy` reaches the kubelet's exec over WebSocket.
        'ClusterRoleBinding.default.passing-crb2': 'fail',
      },
    },
    {
      check: 'RoleBindingPE',
      id: 'CKV2_K8S_1',
      rules: ['PC-K8S-041'],
      differ: {
        // `*` on clusterrolebindings holds no `bind` or `escalate` on roles: the API server still
        // refuses bindings to roles the subject does not hold.
        'ClusterRoleBinding.default.failing-crb1': 'pass',
        // `bind` is checked on roles and clusterroles; on rolebindings it grants nothing.
        'RoleBinding.kube-system.failing-rb3': 'pass',
        // Checkov looks at ServiceAccounts and nodes only; a user holding bind on every role escalates too.
        'ClusterRoleBinding.default.passing-crb2': 'fail',
      },
    },
  ];
  for (const c of CASES) {
    it(`${c.check} (${c.id}) agrees with expected.yaml, except the documented differences`, () => {
      const dir = K8S('checkov-graph', c.check);
      const { pass, fail } = checkovExpected(dir);
      const got = reported(
        readObjects(...filesUnder(dir).filter((f) => !f.endsWith('expected.yaml'))),
        c.rules,
      );
      for (const id of Object.keys(c.differ)) expectDocumented(`${c.id} ${id}`);
      for (const id of fail) expect(got.has(id), id).toBe((c.differ[id] ?? 'fail') === 'fail');
      for (const id of pass) expect(got.has(id), id).toBe((c.differ[id] ?? 'pass') === 'fail');
      expect(pass.length + fail.length).toBeGreaterThan(0);
    });
  }

  it('NoCreateNodesProxyOrPodsExec: what we report instead for the cases we pass', () => {
    const dir = K8S('checkov-graph', 'NoCreateNodesProxyOrPodsExec');
    const objects = readObjects(...filesUnder(dir).filter((f) => !f.endsWith('expected.yaml')));
    expect(reported(objects, ['PC-K8S-043'])).toContain('RoleBinding.kube-system.failing-rb3');
    expect(reported(objects, ['PC-K8S-041'])).toContain('ClusterRoleBinding.default.failing-crb4');
  });
});

describe('Checkov per-role checks', () => {
  const CASES: readonly {
    dir: string;
    id: string;
    rules: string[];
    differ: Record<string, 'pass' | 'fail'>;
  }[] = [
    { dir: 'example_WildcardRoles', id: 'CKV_K8S_49', rules: ['PC-K8S-046'], differ: {} },
    { dir: 'example_RbacEscalateRoles', id: 'CKV_K8S_158', rules: ['PC-K8S-041'], differ: {} },
    {
      dir: 'example_RbacBindRoleBindings',
      id: 'CKV_K8S_157',
      rules: ['PC-K8S-041'],
      // `bind` on rolebindings grants nothing: the API server checks `bind` on the role referred to.
      differ: { 'clusterrole-failed-1.yaml': 'pass' },
    },
  ];
  for (const c of CASES) {
    it(`${c.dir} (${c.id}): failed files reported, passed files not`, () => {
      const dir = K8S('checkov', c.dir);
      for (const file of readdirSync(dir).sort()) {
        const expected = c.differ[file] ?? (file.includes('failed') ? 'fail' : 'pass');
        if (c.differ[file] !== undefined) expectDocumented(`${c.id} ${file}`);
        const got = reported(readObjects(path.join(dir, file)), c.rules);
        expect(got.size > 0 ? 'fail' : 'pass', file).toBe(expected);
      }
    });
  }
});

describe('Kyverno policies (per role)', () => {
  it('restrict-secret-role-verbs: bad roles read Secrets, good ones do not', () => {
    const dir = K8S('kyverno', 'restrict-secret-role-verbs');
    for (const file of readdirSync(dir).filter((f) => f.startsWith('chainsaw-test-'))) {
      const objects = readObjects(path.join(dir, file));
      const got = reported(objects, ['PC-K8S-040']);
      const names = objects.map(
        (o) =>
          `${String(o['kind'])}.${o['kind'] === 'Role' ? 'default' : 'default'}.${String((o['metadata'] as Obj)['name'])}`,
      );
      expect(names.length).toBeGreaterThan(0);
      for (const n of names) expect(got.has(n), `${file} ${n}`).toBe(file.includes('-bad'));
    }
  });

  it('restrict-escalation-verbs-roles: bad roles escalate, good ones do not', () => {
    const dir = K8S('kyverno', 'restrict-escalation-verbs-roles');
    // A `*`/`*`/`*` role is reported by PC-K8S-046 as high, not once per escalation verb.
    const rules = ['PC-K8S-041', 'PC-K8S-042', 'PC-K8S-046:high'];
    // impersonate on roles grants nothing: impersonation is checked on users, groups and serviceaccounts.
    // The chainsaw files and the kyverno-test resources reuse names for different roles.
    // A Role cannot grant `escalate` on clusterroles, which have no namespace.
    const chainsawDiffer: Record<string, 'pass' | 'fail'> = { 'Role.default.badrole02': 'pass' };
    const differ: Record<string, 'pass' | 'fail'> = { 'Role.default.badrole01': 'pass' };
    for (const k of [...Object.keys(chainsawDiffer), ...Object.keys(differ)])
      expectDocumented(`restrict-escalation-verbs-roles ${k}`);
    for (const file of readdirSync(dir).filter((f) => f.startsWith('chainsaw-test-'))) {
      const objects = readObjects(path.join(dir, file));
      const got = reported(objects, rules);
      for (const o of objects) {
        const id = `${String(o['kind'])}.default.${String((o['metadata'] as Obj)['name'])}`;
        expect(got.has(id), `${file} ${id}`).toBe(
          (chainsawDiffer[id] ?? (file.includes('-bad') ? 'fail' : 'pass')) === 'fail',
        );
      }
    }
    const test = parseYaml(readFileSync(path.join(dir, 'kyverno-test-kyverno-test.yaml'), 'utf8')) as {
      results: { kind: string; resources: string[]; result: string }[];
    };
    const got = reported(readObjects(path.join(dir, 'kyverno-test-resource.yaml')), rules);
    for (const r of test.results) {
      for (const name of r.resources) {
        const id = `${r.kind}.default.${name}`;
        expect(got.has(id), id).toBe((differ[id] ?? r.result) === 'fail');
      }
    }
  });
});

describe('Polaris RBAC checks', () => {
  const CHECKS: Readonly<Record<string, string[]>> = {
    clusterrolebindingClusterAdmin: ['PC-K8S-047'],
    rolebindingClusterAdminClusterRole: ['PC-K8S-047'],
    rolebindingClusterAdminRole: ['PC-K8S-047'],
    // A `*`/`*`/`*` role is reported once: PC-K8S-047 on its bindings, PC-K8S-046 on the role.
    clusterrolePodExecAttach: ['PC-K8S-044', 'PC-K8S-046', 'PC-K8S-047'],
    rolePodExecAttach: ['PC-K8S-044', 'PC-K8S-046', 'PC-K8S-047'],
    clusterrolebindingPodExecAttach: ['PC-K8S-044', 'PC-K8S-047'],
    rolebindingClusterRolePodExecAttach: ['PC-K8S-044', 'PC-K8S-047'],
    rolebindingRolePodExecAttach: ['PC-K8S-044', 'PC-K8S-047'],
  };
  // Where we answer otherwise, by file name pattern (reasons in docs/kube-audit-peers.md):
  // Polaris exempts objects by name (`system:` prefixes, one GCE binding, the default roles),
  // fails a binding whose role is missing, and splits one question into checks per binding and
  // role kind; we judge what each binding grants, whatever its name or the kind of role it names.
  const FLIPPED: readonly { pattern: RegExp; doc: string; checks?: readonly string[] }[] = [
    {
      pattern: /^success\.(system_prefix|gce_calico|defaultclusterrole)/,
      doc: 'success.system_prefix*, success.gce_calico*, success.defaultclusterrole*',
    },
    { pattern: /^failure\.binding_points_to_missing_ref/, doc: 'failure.binding_points_to_missing_ref' },
    {
      pattern: /^success\.role_binding_cluster_role_binding/,
      doc: 'success.role_binding_cluster_role_binding',
      checks: ['rolebindingRolePodExecAttach'],
    },
  ];
  for (const [check, rules] of Object.entries(CHECKS)) {
    it(`${check}: failures reported, successes not (documented differences aside)`, () => {
      const dir = K8S('polaris', check);
      for (const file of readdirSync(dir).sort()) {
        const got = reported(readObjects(path.join(dir, file)), rules);
        const flip = FLIPPED.find(
          (f) => f.pattern.test(file) && (f.checks === undefined || f.checks.includes(check)),
        );
        if (flip !== undefined) expectDocumented(`Polaris ${flip.doc}`);
        const wantFail = file.startsWith('failure.') !== (flip !== undefined);
        expect(got.size > 0, `${check}/${file}: ${[...got].join(', ')}`).toBe(wantFail);
      }
    });
  }
});

describe('subjects', () => {
  it('reads a ServiceAccount subject without a namespace in a RoleBinding as the binding namespace', () => {
    const objects = readObjects(K8S('checkov-graph', 'ReadAllSecrets', 'Passing', 'RoleResourceName.yaml'));
    const entries = whoCan(objects, { verb: 'get', resource: 'secrets', name: 'my-secret-resource' });
    expect(entries.map((e) => e.subject)).toEqual([
      { kind: 'ServiceAccount', name: 'my-service-account', namespace: 'my-namespace' } satisfies RbacSubject,
    ]);
  });
});
