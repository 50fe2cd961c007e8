import {
  binding,
  clusterRole,
  group,
  labels,
  lineWith,
  role,
  rule,
  sa,
  user,
} from '../rbac/testdata/manifests.js';
import { secretReaders } from './PC-K8S-040.js';
import { describeRuleCases } from './testdata/cases.js';

const reader = clusterRole('secret-reader', rule('""', 'secrets', 'get, watch, list'));
const crb =
  reader +
  binding(
    'ClusterRoleBinding',
    'read-all',
    undefined,
    'ClusterRole/secret-reader',
    user('alice') + sa('app', 'apps'),
  );
const rb = reader + binding('RoleBinding', 'read-apps', 'apps', 'ClusterRole/secret-reader', sa('app'));
const named =
  role('apps', 'one', rule('""', 'secrets', 'get', 'db-password')) +
  binding('RoleBinding', 'one', 'apps', 'Role/one', sa('api'));
const star =
  clusterRole('lister', rule('""', '"*"', 'list')) +
  binding('ClusterRoleBinding', 'lister', undefined, 'ClusterRole/lister', group('system:authenticated'));
const aggregated =
  clusterRole(
    'agg',
    '  []\n',
    'aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels: { team: x }\n',
  ) +
  clusterRole('part', rule('""', 'secrets', 'watch'), labels({ team: 'x' })) +
  binding('ClusterRoleBinding', 'agg', undefined, 'ClusterRole/agg', user('bob'));
const unbound = role('apps', 'unused', rule('""', 'secrets', 'list'));
const safe =
  clusterRole(
    'pods',
    rule('""', 'pods, configmaps', 'get, list, watch') + rule('""', 'secrets', 'create, update, delete'),
  ) + binding('ClusterRoleBinding', 'pods', undefined, 'ClusterRole/pods', user('carol'));

describeRuleCases(secretReaders, [
  {
    name: 'a ClusterRoleBinding: every subject, high',
    yaml: crb,
    lines: [lineWith(crb, '- name: alice'), lineWith(crb, '- name: app')],
    messageContains: [
      'can get, list and watch Secrets cluster-wide',
      'ClusterRoleBinding/read-all → ClusterRole/secret-reader',
    ],
  },
  {
    name: 'a RoleBinding to a ClusterRole: that namespace, medium; the ServiceAccount takes its namespace',
    yaml: rb,
    lines: [lineWith(rb, '- name: app')],
    severities: ['medium'],
    messageContains: [
      'ServiceAccount apps/app',
      'in namespace apps',
      'RoleBinding/apps/read-apps → ClusterRole/secret-reader',
    ],
  },
  {
    name: 'resourceNames: info, naming the Secret',
    yaml: named,
    lines: [lineWith(named, '- name: api')],
    severities: ['info'],
    messageContains: ['only the objects named db-password (resourceNames)'],
  },
  {
    name: '`*` resources with list alone reads Secrets',
    yaml: star,
    lines: [lineWith(star, '- name: system:authenticated')],
    messageContains: ['Group system:authenticated (every authenticated user) can list Secrets cluster-wide'],
  },
  {
    name: 'through an aggregated ClusterRole, with the chain',
    yaml: aggregated,
    lines: [lineWith(aggregated, '- name: bob')],
    messageContains: ['ClusterRoleBinding/agg → ClusterRole/agg → ClusterRole/part'],
  },
  {
    name: 'a Role no binding uses is reported on its rule',
    yaml: unbound,
    lines: [lineWith(unbound, '- apiGroups')],
    severities: ['medium'],
    messageContains: ['no binding in this bundle uses it yet'],
  },
  { name: 'other resources and write-only verbs are not reading', yaml: safe, lines: [] },
]);
