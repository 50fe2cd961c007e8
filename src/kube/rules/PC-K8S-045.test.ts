import { binding, clusterRole, lineWith, role, rule, sa } from '../rbac/testdata/manifests.js';
import { nodesProxy } from './PC-K8S-045.js';
import { describeRuleCases } from './testdata/cases.js';

const proxy =
  clusterRole('np', rule('""', 'nodes/proxy', 'get')) +
  binding('ClusterRoleBinding', 'np', undefined, 'ClusterRole/np', sa('prometheus', 'monitoring'));
const inRole =
  role('kube-system', 'np', rule('""', 'nodes/proxy, pods', 'create')) +
  binding('RoleBinding', 'np', 'kube-system', 'Role/np', sa('x'));
const metrics =
  clusterRole('metrics', rule('""', 'nodes/metrics, nodes/stats, nodes', 'get')) +
  binding('ClusterRoleBinding', 'metrics', undefined, 'ClusterRole/metrics', sa('prometheus', 'monitoring'));

describeRuleCases(nodesProxy, [
  {
    name: 'get nodes/proxy cluster-wide',
    yaml: proxy,
    lines: [lineWith(proxy, '- name: prometheus')],
    messageContains: [
      'ServiceAccount monitoring/prometheus can get nodes/proxy cluster-wide',
      "kubelets' API",
    ],
  },
  { name: 'a Role cannot grant nodes/proxy (nodes have no namespace)', yaml: inRole, lines: [] },
  { name: 'nodes/metrics and nodes/stats are not the proxy', yaml: metrics, lines: [] },
]);
