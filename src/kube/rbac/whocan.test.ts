import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildRbacModel, formatSubject, READ_SECRETS, runPermissionCheck, whoCan } from './index.js';
import type { WhoCanEntry } from './index.js';
import { binding, clusterRole, group, labels, role, rule, sa, user } from './testdata/manifests.js';

function objects(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
}

// One bundle exercising every path to Secret data, and its near misses.
const BUNDLE = [
  // Aggregation: top aggregates mid (by label) which aggregates leaf; leaf reads Secrets.
  clusterRole(
    'top',
    '  []\n',
    `aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: { tier: mid }\n`,
  ),
  clusterRole(
    'mid',
    '  []\n',
    `${labels({ tier: 'mid' })}aggregationRule:\n  clusterRoleSelectors:\n    - matchExpressions: [{ key: tier, operator: In, values: [leaf] }]\n`,
  ),
  clusterRole(
    'leaf',
    '  - apiGroups: [""]\n    resources: [secrets]\n    verbs: [watch]\n',
    labels({ tier: 'leaf' }),
  ),
  // A cycle: a and b select each other; only b holds a rule (list secrets).
  clusterRole(
    'cyc-a',
    '  []\n',
    `${labels({ cyc: 'a' })}aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: { cyc: b }\n`,
  ),
  clusterRole(
    'cyc-b',
    '  - apiGroups: [""]\n    resources: [secrets]\n    verbs: [list]\n',
    labels({ cyc: 'b' }),
  ),
  clusterRole(
    'cyc-c',
    '  []\n',
    `${labels({ cyc: 'c' })}aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: { cyc: a }\n`,
  ),
  // Wildcards: `*` resources with list only; `*` group with watch; `*` verbs on secrets.
  clusterRole('star-resources', '  - apiGroups: [""]\n    resources: ["*"]\n    verbs: [list]\n'),
  clusterRole('star-group', '  - apiGroups: ["*"]\n    resources: [secrets]\n    verbs: [watch]\n'),
  role('apps', 'star-verbs', '  - apiGroups: [""]\n    resources: [secrets]\n    verbs: ["*"]\n'),
  // resourceNames: one named Secret only.
  role(
    'apps',
    'one-secret',
    '  - apiGroups: [""]\n    resources: [secrets]\n    resourceNames: [db-password]\n    verbs: [get]\n',
  ),
  // Near misses: wrong group, subresource only, write-only, configmaps, an unknown role.
  clusterRole('wrong-group', '  - apiGroups: [apps]\n    resources: [secrets]\n    verbs: [get]\n'),
  clusterRole(
    'writer',
    '  - apiGroups: [""]\n    resources: [secrets, pods/exec]\n    verbs: [create, update, patch, delete]\n',
  ),
  clusterRole(
    'cm-reader',
    '  - apiGroups: [""]\n    resources: [configmaps, "*/status"]\n    verbs: [get, list, watch]\n',
  ),
  binding('ClusterRoleBinding', 'aggregated', undefined, 'ClusterRole/top', user('alice')),
  binding('ClusterRoleBinding', 'cycle', undefined, 'ClusterRole/cyc-c', group('auditors')),
  binding('RoleBinding', 'star-resources', 'apps', 'ClusterRole/star-resources', sa('builder')),
  binding(
    'ClusterRoleBinding',
    'star-group',
    undefined,
    'ClusterRole/star-group',
    group('system:serviceaccounts:ci'),
  ),
  binding(
    'RoleBinding',
    'star-verbs',
    'apps',
    'Role/star-verbs',
    sa('deployer', 'tools') + user('system:serviceaccount:apps:legacy'),
  ),
  binding('RoleBinding', 'one-secret', 'apps', 'Role/one-secret', sa('api')),
  binding('RoleBinding', 'everyone', 'apps', 'ClusterRole/view', group('system:authenticated')),
  binding('RoleBinding', 'editors', 'web', 'ClusterRole/edit', group('web-devs')),
  binding('RoleBinding', 'wrong-group', 'apps', 'ClusterRole/wrong-group', user('bob')),
  binding('ClusterRoleBinding', 'writer', undefined, 'ClusterRole/writer', user('carol')),
  binding('ClusterRoleBinding', 'cm', undefined, 'ClusterRole/cm-reader', user('dave')),
  binding('ClusterRoleBinding', 'missing', undefined, 'ClusterRole/not-in-bundle', user('erin')),
  // A RoleBinding naming a Role of another namespace's name does not reach it.
  binding('RoleBinding', 'other-ns', 'web', 'Role/star-verbs', user('frank')),
  `---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: runner
  namespace: ci
`,
].join('');

type Row = [subject: string, scope: string, chain: string, onlyNames?: string];

function rows(entries: readonly WhoCanEntry[]): Row[] {
  return entries
    .map((e): Row => {
      const scope = e.scope.kind === 'cluster' ? 'cluster' : e.scope.namespace;
      const r: Row = [formatSubject(e.subject), scope, e.chain.join(' > ')];
      if (e.onlyNames !== undefined) r.push(e.onlyNames.join(','));
      return r;
    })
    .sort((a, b) => a.join('|').localeCompare(b.join('|')));
}

/** Everyone who can read Secrets: the union of get, list and watch. */
function secretReaders(query: { namespace?: string; name?: string } = {}, expandGroups = false): Row[] {
  const objs = objects(BUNDLE);
  const all = ['get', 'list', 'watch'].flatMap((verb) =>
    whoCan(objs, { verb, resource: 'secrets', ...query }, { expandGroups }),
  );
  const seen = new Set<string>();
  return rows(all).filter((r) => {
    const k = r.join('|');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const EXPECTED_READERS: Row[] = [
  [
    'Group auditors',
    'cluster',
    'ClusterRoleBinding/cycle > ClusterRole/cyc-c > ClusterRole/cyc-a > ClusterRole/cyc-b',
  ],
  ['Group system:serviceaccounts:ci', 'cluster', 'ClusterRoleBinding/star-group > ClusterRole/star-group'],
  [
    'Group web-devs',
    'web',
    'RoleBinding/web/editors > ClusterRole/edit (cluster default) > ClusterRole/system:aggregate-to-edit (cluster default)',
  ],
  ['ServiceAccount apps/api', 'apps', 'RoleBinding/apps/one-secret > Role/apps/one-secret', 'db-password'],
  ['ServiceAccount apps/builder', 'apps', 'RoleBinding/apps/star-resources > ClusterRole/star-resources'],
  ['ServiceAccount tools/deployer', 'apps', 'RoleBinding/apps/star-verbs > Role/apps/star-verbs'],
  [
    'User alice',
    'cluster',
    'ClusterRoleBinding/aggregated > ClusterRole/top > ClusterRole/mid > ClusterRole/leaf',
  ],
  ['User system:serviceaccount:apps:legacy', 'apps', 'RoleBinding/apps/star-verbs > Role/apps/star-verbs'],
];

describe('who can read Secrets', () => {
  it('finds every subject with its chain and scope, and no subject that cannot', () => {
    expect(secretReaders()).toEqual(EXPECTED_READERS);
  });

  it('in one namespace: cluster-wide grants plus that namespace only', () => {
    const inWeb = EXPECTED_READERS.filter((r) => r[1] === 'cluster' || r[1] === 'web');
    expect(secretReaders({ namespace: 'web' })).toEqual(inWeb);
  });

  it('for a named Secret, resourceNames grants apply to that name only', () => {
    const named = secretReaders({ name: 'db-password' });
    expect(named).toContainEqual([
      'ServiceAccount apps/api',
      'apps',
      'RoleBinding/apps/one-secret > Role/apps/one-secret',
      'db-password',
    ]);
    expect(secretReaders({ name: 'other' }).map((r) => r[0])).not.toContain('ServiceAccount apps/api');
  });

  it('a resourceNames rule never answers list (an unnamed request)', () => {
    const objs = objects(BUNDLE);
    const listers = whoCan(objs, { verb: 'list', resource: 'secrets' }).map((e) => formatSubject(e.subject));
    expect(listers).not.toContain('ServiceAccount apps/api');
    // …but "get some Secret" does, limited to the name.
    const getters = whoCan(objs, { verb: 'get', resource: 'secrets' }).filter(
      (e) => e.subject.name === 'api',
    );
    expect(getters.map((e) => e.onlyNames)).toEqual([['db-password']]);
  });

  it('expands system:authenticated to every bundle ServiceAccount', () => {
    const objs = objects(
      clusterRole('r', rule('""', 'secrets', 'list')) +
        binding('ClusterRoleBinding', 'all', undefined, 'ClusterRole/r', group('system:authenticated')) +
        '---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bot\n  namespace: x\n',
    );
    expect(rows(whoCan(objs, { verb: 'list', resource: 'secrets' }, { expandGroups: true }))).toEqual([
      ['Group system:authenticated', 'cluster', 'ClusterRoleBinding/all > ClusterRole/r'],
      [
        'ServiceAccount x/bot',
        'cluster',
        'Group/system:authenticated > ClusterRoleBinding/all > ClusterRole/r',
      ],
    ]);
  });

  it('expands system:serviceaccounts:NS to the bundle ServiceAccounts of NS', () => {
    expect(secretReaders({}, true)).toContainEqual([
      'ServiceAccount ci/runner',
      'cluster',
      'Group/system:serviceaccounts:ci > ClusterRoleBinding/star-group > ClusterRole/star-group',
    ]);
  });

  it('PC-K8S-040 reports the same subjects on their bindings, with severities by scope', () => {
    const objs = objects(BUNDLE);
    const findings = runPermissionCheck(buildRbacModel(objs), READ_SECRETS);
    const got = findings.map((f) => `${f.severity} ${f.chain?.join(' > ') ?? ''}`).sort();
    expect(got).toEqual(
      [
        'high ClusterRoleBinding/aggregated > ClusterRole/top > ClusterRole/mid > ClusterRole/leaf',
        'high ClusterRoleBinding/cycle > ClusterRole/cyc-c > ClusterRole/cyc-a > ClusterRole/cyc-b',
        'high ClusterRoleBinding/star-group > ClusterRole/star-group',
        'info RoleBinding/apps/one-secret > Role/apps/one-secret',
        'medium RoleBinding/apps/star-resources > ClusterRole/star-resources',
        'medium RoleBinding/apps/star-verbs > Role/apps/star-verbs',
        'medium RoleBinding/apps/star-verbs > Role/apps/star-verbs',
        'medium RoleBinding/web/editors > ClusterRole/edit (cluster default) > ClusterRole/system:aggregate-to-edit (cluster default)',
      ].sort(),
    );
    const one = findings.find((f) => f.severity === 'info');
    expect(one?.message).toContain('only the objects named db-password (resourceNames)');
    const builder = findings.find((f) => f.message.includes('apps/builder'));
    expect(builder?.message).toBe(
      'ServiceAccount apps/builder can list Secrets in namespace apps, through RoleBinding/apps/star-resources → ClusterRole/star-resources',
    );
    // Every role the bundle defines is used by a binding or reached through aggregation.
    expect(findings.every((f) => f.path[0] === 'subjects')).toBe(true);
  });
});

describe('aggregation', () => {
  it('selects ClusterRoles by label, transitively, and survives cycles', () => {
    const model = buildRbacModel(objects(BUNDLE));
    const cycC = model.roles.find((r) => r.name === 'cyc-c');
    const cycA = model.roles.find((r) => r.name === 'cyc-a');
    expect(cycC && model.effectiveRules(cycC).map((e) => e.via.map((r) => r.name))).toEqual([
      ['cyc-c', 'cyc-a', 'cyc-b'],
    ]);
    // cyc-a selects only cyc-b (cyc-b selects nothing): the union is cyc-b's rules.
    expect(cycA && model.effectiveRules(cycA).map((e) => e.via.map((r) => r.name))).toEqual([
      ['cyc-a', 'cyc-b'],
    ]);
  });

  it("two aggregated roles selecting each other hold each other's own rules, once", () => {
    const model = buildRbacModel(
      objects(
        clusterRole(
          'x',
          '  []\n',
          `${labels({ ring: 'x' })}aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: { ring: "y" }\n`,
        ) +
          clusterRole(
            'y',
            '  []\n',
            `${labels({ ring: 'y' })}aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: { ring: x }\n`,
          ) +
          clusterRole(
            'z',
            '  - apiGroups: [""]\n    resources: [secrets]\n    verbs: [get]\n',
            labels({ ring: 'x' }),
          ),
      ),
    );
    const y = model.roles.find((r) => r.name === 'y');
    expect(y && model.effectiveRules(y).map((e) => e.via.map((r) => r.name))).toEqual([['y', 'z']]);
  });

  it('many aggregated roles selecting one another: each plain role counted once, by its shortest chain', () => {
    const ring = Array.from({ length: 12 }, (_, i) =>
      clusterRole(
        `ring-${i}`,
        '  []\n',
        `${labels({ ring: 'yes' })}aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: { ring: "yes" }\n`,
      ),
    ).join('');
    const model = buildRbacModel(
      objects(ring + clusterRole('leaf', rule('""', 'secrets', 'get'), labels({ ring: 'yes' }))),
    );
    for (const r of model.roles.filter((x) => x.aggregation !== undefined)) {
      expect(model.effectiveRules(r).map((e) => e.via.map((v) => v.name))).toEqual([[r.name, 'leaf']]);
    }
  });

  it('a bundle ClusterRole labelled aggregate-to-view joins the default view role', () => {
    const objs = objects(
      clusterRole(
        'extra-view',
        '  - apiGroups: [""]\n    resources: [secrets]\n    verbs: [list]\n',
        labels({ 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }),
      ) +
        binding(
          'ClusterRoleBinding',
          'viewers',
          undefined,
          'ClusterRole/view',
          group('system:authenticated'),
        ),
    );
    expect(rows(whoCan(objs, { verb: 'list', resource: 'secrets' }))).toEqual([
      [
        'Group system:authenticated',
        'cluster',
        'ClusterRoleBinding/viewers > ClusterRole/view (cluster default) > ClusterRole/extra-view',
      ],
    ]);
  });
});

describe('scopes and subjects', () => {
  const objs = objects(
    clusterRole('node-proxy', '  - apiGroups: [""]\n    resources: [nodes/proxy]\n    verbs: [get]\n') +
      binding('RoleBinding', 'ns-proxy', 'apps', 'ClusterRole/node-proxy', user('ns-user')) +
      binding(
        'ClusterRoleBinding',
        'cluster-proxy',
        undefined,
        'ClusterRole/node-proxy',
        sa('agent', 'kube-system'),
      ) +
      clusterRole('urls', '  - nonResourceURLs: ["/metrics*"]\n    verbs: [get]\n') +
      binding('RoleBinding', 'ns-urls', 'apps', 'ClusterRole/urls', user('ns-user')) +
      binding('ClusterRoleBinding', 'cluster-urls', undefined, 'ClusterRole/urls', user('scraper')),
  );

  it('a RoleBinding grants no cluster-scoped resource, even through a ClusterRole', () => {
    expect(rows(whoCan(objs, { verb: 'get', resource: 'nodes/proxy' }))).toEqual([
      [
        'ServiceAccount kube-system/agent',
        'cluster',
        'ClusterRoleBinding/cluster-proxy > ClusterRole/node-proxy',
      ],
    ]);
  });

  it('nonResourceURLs need a ClusterRoleBinding; a trailing * matches by prefix', () => {
    expect(rows(whoCan(objs, { verb: 'get', nonResourceURL: '/metrics/cadvisor' }))).toEqual([
      ['User scraper', 'cluster', 'ClusterRoleBinding/cluster-urls > ClusterRole/urls'],
    ]);
  });

  it('a ServiceAccount subject without a namespace takes the RoleBinding one; in a ClusterRoleBinding it has none', () => {
    const o = objects(
      clusterRole('r', '  - apiGroups: [""]\n    resources: [secrets]\n    verbs: [get]\n') +
        binding('RoleBinding', 'rb', 'team', 'ClusterRole/r', sa('app')) +
        binding('ClusterRoleBinding', 'crb', undefined, 'ClusterRole/r', sa('app')),
    );
    expect(rows(whoCan(o, { verb: 'get', resource: 'secrets' })).map((r) => r[0])).toEqual([
      'ServiceAccount app (no namespace: the API server rejects this subject)',
      'ServiceAccount team/app',
    ]);
  });

  it('lists system:masters only when asked', () => {
    expect(whoCan(objs, { verb: 'delete', resource: 'secrets' })).toEqual([]);
    expect(
      rows(whoCan(objs, { verb: 'delete', resource: 'secrets' }, { includeSystemMasters: true })),
    ).toEqual([['Group system:masters', 'cluster', 'Group/system:masters (API server superuser)']]);
  });
});
