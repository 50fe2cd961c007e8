import type { Severity } from '../../report/index.js';
import { describeByResource, joinWords } from './checks.js';
import type { Permission, PermissionCheck } from './checks.js';
import type { RbacScope } from './types.js';

function perms(verbs: readonly string[], apiGroup: string, resources: readonly string[]): Permission[] {
  return resources.flatMap((resource) => verbs.map((verb) => ({ verb, resource, apiGroup })));
}

function ladder(cluster: Severity, namespace: Severity, limited: Severity): PermissionCheck['severity'] {
  return (scope, isLimited) => (isLimited ? limited : scope.kind === 'cluster' ? cluster : namespace);
}

function everywhere(scope: RbacScope): string {
  return scope.kind === 'cluster' ? 'in every namespace' : `in namespace ${scope.namespace}`;
}

/**
 * PC-K8S-040: reading Secrets. `list` and `watch` return the Secrets' data just as `get` does
 * (some tools only count `get`).
 */
export const READ_SECRETS: PermissionCheck = {
  permissions: perms(['get', 'list', 'watch'], '', ['secrets']),
  describe: (m) => `${joinWords(m.map((p) => p.verb))} Secrets`,
  severity: ladder('high', 'medium', 'info'),
  skipFullWildcard: false,
};

/**
 * PC-K8S-041: `escalate` lets a subject write roles holding permissions it lacks, `bind` lets it
 * bind roles it does not hold; both are checked against roles and clusterroles only.
 */
export const ESCALATE_OR_BIND: PermissionCheck = {
  permissions: perms(['escalate', 'bind'], 'rbac.authorization.k8s.io', ['roles', 'clusterroles']),
  describe: describeByResource,
  consequence: (scope) =>
    `it can grant itself any permission ${scope.kind === 'cluster' ? 'in the cluster' : `in namespace ${scope.namespace}`}`,
  severity: ladder('critical', 'high', 'low'),
  skipFullWildcard: true,
};

/** PC-K8S-042: impersonating users, groups, ServiceAccounts, UIDs or user extras. */
export const IMPERSONATE: PermissionCheck = {
  permissions: [
    ...perms(['impersonate'], '', ['users', 'groups', 'serviceaccounts']),
    ...perms(['impersonate'], 'authentication.k8s.io', ['uids', 'userextras']),
  ],
  describe: describeByResource,
  consequence: () => 'every request it sends can act with the permissions of whoever it impersonates',
  severity: ladder('critical', 'high', 'low'),
  skipFullWildcard: true,
};

/** PC-K8S-043: creating pods, or creating or changing the controllers that create them. */
export const CREATE_WORKLOADS: PermissionCheck = {
  permissions: [
    ...perms(['create'], '', ['pods']),
    ...perms(['create', 'update', 'patch'], '', ['replicationcontrollers']),
    ...perms(['create', 'update', 'patch'], 'apps', [
      'deployments',
      'replicasets',
      'statefulsets',
      'daemonsets',
    ]),
    ...perms(['create', 'update', 'patch'], 'batch', ['jobs', 'cronjobs']),
  ],
  describe: describeByResource,
  consequence: (scope) =>
    `a pod it starts can mount any Secret and run as any ServiceAccount ${everywhere(scope)}`,
  severity: ladder('high', 'medium', 'low'),
  skipFullWildcard: true,
};

/**
 * PC-K8S-044: exec and attach. `get` counts: before the API server required `create` for
 * WebSocket upgrades (AuthorizePodWebsocketUpgradeCreatePermission, on by default from 1.30), a
 * WebSocket exec needed only `get`.
 */
export const POD_EXEC: PermissionCheck = {
  permissions: perms(['create', 'get'], '', ['pods/exec', 'pods/attach']),
  describe: describeByResource,
  consequence: (scope) =>
    `it can run commands in, or attach to, running containers ${everywhere(scope)} and read the Secrets they mounted`,
  severity: ladder('high', 'medium', 'low'),
  skipFullWildcard: true,
};

/**
 * PC-K8S-045: nodes/proxy reaches the kubelet API. `get` is enough: the kubelet maps a WebSocket
 * upgrade (GET) of /exec to `get nodes/proxy`.
 */
export const NODES_PROXY: PermissionCheck = {
  permissions: perms(['create', 'get'], '', ['nodes/proxy']),
  describe: describeByResource,
  consequence: () =>
    "it can call the kubelets' API directly, including exec into any pod on the node, outside the API server's audit log",
  severity: ladder('high', 'high', 'medium'),
  skipFullWildcard: true,
};
