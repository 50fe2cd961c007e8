import { binding, clusterRole, lineWith, role, rule, sa, user } from '../rbac/testdata/manifests.js';
import { impersonate } from './PC-K8S-042.js';
import { describeRuleCases } from './testdata/cases.js';

const users =
  clusterRole('imp', rule('""', 'users, groups', 'impersonate')) +
  binding('ClusterRoleBinding', 'imp', undefined, 'ClusterRole/imp', sa('proxy', 'auth'));
const sas =
  clusterRole('imp-sa', rule('""', 'serviceaccounts', '"*"')) +
  binding('RoleBinding', 'imp-sa', 'apps', 'ClusterRole/imp-sa', user('frank'));
const nsUsers =
  role('apps', 'imp-users', rule('""', 'users', 'impersonate')) +
  binding('RoleBinding', 'imp-users', 'apps', 'Role/imp-users', user('gina'));
const onRoles = role('apps', 'odd', rule('rbac.authorization.k8s.io', 'roles', 'impersonate'));

describeRuleCases(impersonate, [
  {
    name: 'impersonate users and groups cluster-wide: critical',
    yaml: users,
    lines: [lineWith(users, '- name: proxy')],
    messageContains: ['impersonate users and groups cluster-wide'],
  },
  {
    name: '`*` verbs on serviceaccounts through a RoleBinding: high',
    yaml: sas,
    lines: [lineWith(sas, '- name: frank')],
    severities: ['high'],
    messageContains: ['impersonate serviceaccounts in namespace apps'],
  },
  { name: 'a Role cannot grant impersonation of users (cluster-scoped)', yaml: nsUsers, lines: [] },
  { name: 'impersonate on roles grants nothing', yaml: onRoles, lines: [] },
]);
