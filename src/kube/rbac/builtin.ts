import type { LabelSelector, PolicyRule, RbacRole } from './types.js';

// The cluster's default ClusterRoles that bundles bind without defining: cluster-admin and the
// user-facing admin, edit and view, which the API server builds by aggregation from the
// system:aggregate-to-* roles. The rules follow kubernetes
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (v1.30), abridged to the core, apps
// and batch resources the audit asks about; what is left out only ever adds permissions that no
// PC-K8S rule looks at.

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const AGGREGATE = 'rbac.authorization.k8s.io/aggregate-to-';

function rule(verbs: string[], apiGroups: string[], resources: string[]): PolicyRule {
  return { verbs, apiGroups, resources, resourceNames: [], nonResourceURLs: [] };
}

function aggregateTo(...roles: string[]): Record<string, string> {
  return Object.fromEntries(roles.map((r) => [`${AGGREGATE}${r}`, 'true']));
}

const WORKLOADS_APPS = [
  'statefulsets',
  'statefulsets/scale',
  'daemonsets',
  'deployments',
  'deployments/scale',
  'replicasets',
  'replicasets/scale',
];

/** The default ClusterRoles, used only for names the bundle does not define. */
export const DEFAULT_CLUSTER_ROLES: readonly RbacRole[] = [
  {
    kind: 'ClusterRole',
    name: 'cluster-admin',
    labels: {},
    rules: [rule(['*'], ['*'], ['*']), { ...rule(['*'], [], []), nonResourceURLs: ['*'] }],
  },
  { kind: 'ClusterRole', name: 'admin', labels: {}, rules: [], aggregation: [selector('admin')] },
  {
    kind: 'ClusterRole',
    name: 'edit',
    labels: aggregateTo('admin'),
    rules: [],
    aggregation: [selector('edit')],
  },
  {
    kind: 'ClusterRole',
    name: 'view',
    labels: aggregateTo('edit'),
    rules: [],
    aggregation: [selector('view')],
  },
  {
    kind: 'ClusterRole',
    name: 'system:aggregate-to-admin',
    labels: aggregateTo('admin'),
    rules: [
      rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
      rule([...READ, ...WRITE], ['rbac.authorization.k8s.io'], ['roles', 'rolebindings']),
    ],
  },
  {
    kind: 'ClusterRole',
    name: 'system:aggregate-to-edit',
    labels: aggregateTo('admin', 'edit'),
    rules: [
      rule(
        READ,
        [''],
        ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy'],
      ),
      rule(['impersonate'], [''], ['serviceaccounts']),
      rule(WRITE, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
      rule(['create'], [''], ['pods/eviction']),
      rule(
        WRITE,
        [''],
        [
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/proxy',
          'persistentvolumeclaims',
          'configmaps',
          'secrets',
          'events',
        ],
      ),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(WRITE, ['apps'], [...WORKLOADS_APPS, 'deployments/rollback']),
      rule(WRITE, ['batch'], ['jobs', 'cronjobs']),
    ],
  },
  {
    kind: 'ClusterRole',
    name: 'system:aggregate-to-view',
    labels: aggregateTo('admin', 'edit', 'view'),
    rules: [
      rule(
        READ,
        [''],
        [
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'configmaps',
        ],
      ),
      rule(
        READ,
        [''],
        [
          'limitranges',
          'resourcequotas',
          'bindings',
          'events',
          'pods/status',
          'resourcequotas/status',
          'namespaces/status',
          'replicationcontrollers/status',
          'pods/log',
        ],
      ),
      rule(READ, [''], ['namespaces']),
      rule(
        READ,
        ['apps'],
        [
          'controllerrevisions',
          ...WORKLOADS_APPS,
          'statefulsets/status',
          'daemonsets/status',
          'deployments/status',
          'replicasets/status',
        ],
      ),
      rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
    ],
  },
];

function selector(role: string): LabelSelector {
  return { matchLabels: { [`${AGGREGATE}${role}`]: 'true' }, matchExpressions: [] };
}
