import { binding, clusterRole, group, lineWith, role, rule, sa } from '../rbac/testdata/manifests.js';
import { createWorkloads } from './PC-K8S-043.js';
import { describeRuleCases } from './testdata/cases.js';

const pods =
  role('apps', 'pod-creator', rule('""', 'pods', 'create, update')) +
  binding('RoleBinding', 'pod-creator', 'apps', 'Role/pod-creator', group('devs') + sa('ci'));
const deployers =
  clusterRole('deployer', rule('apps', 'deployments', 'patch') + rule('batch', 'jobs, cronjobs', 'create')) +
  binding('ClusterRoleBinding', 'deployer', undefined, 'ClusterRole/deployer', sa('argo', 'argocd'));
const readOnly =
  clusterRole('viewer', rule('"", apps', 'pods, deployments', 'get, list, watch')) +
  binding('ClusterRoleBinding', 'viewer', undefined, 'ClusterRole/viewer', group('devs'));
const wrongGroup =
  clusterRole('odd', rule('""', 'deployments', 'create')) +
  binding('ClusterRoleBinding', 'odd', undefined, 'ClusterRole/odd', group('devs'));

describeRuleCases(createWorkloads, [
  {
    name: 'create pods in a namespace: medium, per subject',
    yaml: pods,
    lines: [lineWith(pods, '- name: devs'), lineWith(pods, '- name: ci')],
    severities: ['medium', 'medium'],
    messageContains: [
      'can create pods in namespace apps',
      'mount any Secret and run as any ServiceAccount in namespace apps',
    ],
  },
  {
    name: 'patch deployments and create jobs cluster-wide: high',
    yaml: deployers,
    lines: [lineWith(deployers, '- name: argo')],
    messageContains: ['patch deployments; create jobs and cronjobs cluster-wide', 'in every namespace'],
  },
  { name: 'reading workloads is not creating them', yaml: readOnly, lines: [] },
  { name: 'deployments in the core group do not exist', yaml: wrongGroup, lines: [] },
]);
