import { binding, clusterRole, group, lineWith, role, rule, sa, user } from '../rbac/testdata/manifests.js';
import { clusterAdminBindings } from './PC-K8S-047.js';
import { describeRuleCases } from './testdata/cases.js';

const admin = binding(
  'ClusterRoleBinding',
  'admins',
  undefined,
  'ClusterRole/cluster-admin',
  group('system:serviceaccounts') + sa('installer', 'kube-system') + user('kim'),
);
const allVerbs =
  role('apps', 'owner', rule('"*"', '"*"', 'get, list, watch, create, update, patch, delete')) +
  binding('RoleBinding', 'owner', 'apps', 'Role/owner', group('system:authenticated'));
const nearly =
  clusterRole('nearly', rule('""', '"*"', '"*"')) +
  binding('ClusterRoleBinding', 'nearly', undefined, 'ClusterRole/nearly', sa('x', 'y'));
const adminRole = binding('RoleBinding', 'ns-admin', 'apps', 'ClusterRole/admin', user('lee'));

describeRuleCases(clusterAdminBindings, [
  {
    name: 'cluster-admin (not in the bundle) to a broad group, a ServiceAccount and a user',
    yaml: admin,
    lines: [
      lineWith(admin, '- name: system:serviceaccounts'),
      lineWith(admin, '- name: installer'),
      lineWith(admin, '- name: kim'),
    ],
    severities: ['critical', 'high', 'medium'],
    messageContains: ['has cluster-admin cluster-wide', 'ClusterRoleBinding/admins'],
  },
  {
    name: 'every standard verb on everything through a RoleBinding to system:authenticated',
    yaml: allVerbs,
    lines: [lineWith(allVerbs, '- name: system:authenticated')],
    severities: ['high'],
    messageContains: ['every authenticated user', 'full control', 'in namespace apps'],
  },
  { name: '`*` resources in the core group only is not full control', yaml: nearly, lines: [] },
  { name: 'the default admin role is not cluster-admin', yaml: adminRole, lines: [] },
]);
