import { binding, clusterRole, lineWith, role, rule, sa, user } from '../rbac/testdata/manifests.js';
import { escalateOrBind } from './PC-K8S-041.js';
import { describeRuleCases } from './testdata/cases.js';

const RBAC = 'rbac.authorization.k8s.io';
const escalate =
  clusterRole('esc', rule(RBAC, 'clusterroles', 'get, escalate')) +
  binding('ClusterRoleBinding', 'esc', undefined, 'ClusterRole/esc', sa('ops', 'tools'));
const bindNs =
  role('apps', 'binder', rule(RBAC, 'roles', 'bind')) +
  binding('RoleBinding', 'binder', 'apps', 'Role/binder', user('dana'));
const limited =
  clusterRole('bind-view', rule(RBAC, 'clusterroles', 'bind', 'view')) +
  binding('ClusterRoleBinding', 'bind-view', undefined, 'ClusterRole/bind-view', sa('ci', 'ci'));
const starVerbs = role('apps', 'rbac-admin', rule(RBAC, 'roles, rolebindings', '"*"'));
const bindBindings =
  clusterRole('bb', rule(`${RBAC}, ""`, 'rolebindings', 'delete, bind')) +
  binding('ClusterRoleBinding', 'bb', undefined, 'ClusterRole/bb', user('erin'));
const clusterRolesInRole = role('apps', 'cr', rule(RBAC, 'clusterroles', 'escalate'));

describeRuleCases(escalateOrBind, [
  {
    name: 'escalate on clusterroles through a ClusterRoleBinding: critical',
    yaml: escalate,
    lines: [lineWith(escalate, '- name: ops')],
    messageContains: [
      'ServiceAccount tools/ops can escalate clusterroles cluster-wide',
      'grant itself any permission',
    ],
  },
  {
    name: 'bind on roles in a namespace: high',
    yaml: bindNs,
    lines: [lineWith(bindNs, '- name: dana')],
    severities: ['high'],
    messageContains: ['in namespace apps'],
  },
  {
    name: 'bind limited by resourceNames: low',
    yaml: limited,
    lines: [lineWith(limited, '- name: ci')],
    severities: ['low'],
    messageContains: ['only the objects named view'],
  },
  {
    name: '`*` verbs on roles in an unbound Role',
    yaml: starVerbs,
    lines: [lineWith(starVerbs, '- apiGroups')],
    severities: ['high'],
    messageContains: ['escalate and bind roles'],
  },
  { name: 'bind on rolebindings grants nothing', yaml: bindBindings, lines: [] },
  {
    name: 'a Role cannot grant escalate on cluster-scoped clusterroles',
    yaml: clusterRolesInRole,
    lines: [],
  },
]);
