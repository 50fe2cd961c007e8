import { binding, clusterRole, lineWith, role, rule, user } from '../rbac/testdata/manifests.js';
import { podExec } from './PC-K8S-044.js';
import { describeRuleCases } from './testdata/cases.js';

const exec =
  clusterRole('exec', rule('""', 'pods/exec', 'create')) +
  binding('ClusterRoleBinding', 'exec', undefined, 'ClusterRole/exec', user('hank'));
const attachGet =
  role('apps', 'attach', rule('"*"', 'pods/attach', 'get')) +
  binding('RoleBinding', 'attach', 'apps', 'Role/attach', user('ivy'));
const subStar = clusterRole('sub', rule('""', '"*/exec"', 'create'));
const full =
  clusterRole('all', rule('"*"', '"*"', '"*"')) +
  binding('ClusterRoleBinding', 'all', undefined, 'ClusterRole/all', user('root'));
const logs =
  clusterRole('logs', rule('""', 'pods/log, pods', 'get, create')) +
  binding('ClusterRoleBinding', 'logs', undefined, 'ClusterRole/logs', user('jay'));

describeRuleCases(podExec, [
  {
    name: 'create pods/exec cluster-wide: high',
    yaml: exec,
    lines: [lineWith(exec, '- name: hank')],
    messageContains: ['create pods/exec cluster-wide', 'run commands in'],
  },
  {
    name: 'get pods/attach in a namespace (enough over WebSocket on older clusters): medium',
    yaml: attachGet,
    lines: [lineWith(attachGet, '- name: ivy')],
    severities: ['medium'],
    messageContains: ['get pods/attach in namespace apps'],
  },
  {
    name: '`*/exec` in an unbound ClusterRole',
    yaml: subStar,
    lines: [lineWith(subStar, '- apiGroups')],
    messageContains: ['create pods/exec cluster-wide when bound by a ClusterRoleBinding'],
  },
  { name: 'a `*`/`*`/`*` role is left to PC-K8S-047', yaml: full, lines: [] },
  { name: 'logs and pods are not exec', yaml: logs, lines: [] },
]);
