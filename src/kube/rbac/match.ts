import type { PolicyRule } from './types.js';

// Rule matching as the RBAC authorizer does it (kubernetes pkg/apis/rbac/v1/evaluation_helpers.go).

/** `*` or the verb itself. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.includes('*') || rule.verbs.includes(verb);
}

/** `*` or the group itself (`""` is the core group). */
export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.includes('*') || rule.apiGroups.includes(group);
}

/**
 * `*` matches every resource and subresource, `pods/exec` matches exactly, and `*\/exec`
 * matches the `exec` subresource of any resource.
 */
export function resourceMatches(rule: PolicyRule, resource: string, subresource?: string): boolean {
  const combined = subresource === undefined ? resource : `${resource}/${subresource}`;
  return rule.resources.some(
    (r) => r === '*' || r === combined || (subresource !== undefined && r === `*/${subresource}`),
  );
}

/** A rule without resourceNames covers every object; one with them, only those names (never an unnamed request). */
export function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  if (rule.resourceNames.length === 0) return true;
  return name !== undefined && rule.resourceNames.includes(name);
}

/** Exact path, or a rule ending in `*` matching by prefix. */
export function nonResourceURLMatches(rule: PolicyRule, url: string): boolean {
  return rule.nonResourceURLs.some(
    (u) => u === '*' || u === url || (u.endsWith('*') && url.startsWith(u.slice(0, -1))),
  );
}

/** Whether a rule is `*` verbs on `*` resources in `*` groups: everything a role can grant. */
export function isFullWildcard(rule: PolicyRule): boolean {
  return rule.verbs.includes('*') && rule.resources.includes('*') && rule.apiGroups.includes('*');
}

/** The API groups of resources the audit asks about; others are matched in any group. */
export const WELL_KNOWN_GROUPS: Readonly<Record<string, string>> = {
  pods: '',
  secrets: '',
  configmaps: '',
  serviceaccounts: '',
  services: '',
  nodes: '',
  namespaces: '',
  replicationcontrollers: '',
  persistentvolumes: '',
  persistentvolumeclaims: '',
  users: '',
  groups: '',
  deployments: 'apps',
  replicasets: 'apps',
  statefulsets: 'apps',
  daemonsets: 'apps',
  jobs: 'batch',
  cronjobs: 'batch',
  roles: 'rbac.authorization.k8s.io',
  rolebindings: 'rbac.authorization.k8s.io',
  clusterroles: 'rbac.authorization.k8s.io',
  clusterrolebindings: 'rbac.authorization.k8s.io',
  userextras: 'authentication.k8s.io',
  uids: 'authentication.k8s.io',
};

/**
 * Resources without a namespace: a RoleBinding never grants them, because the request carries no
 * namespace for it to apply to. (`users`, `groups`, `uids` and `userextras` are what impersonation
 * is checked against.)
 */
export const CLUSTER_SCOPED = new Set([
  'nodes',
  'persistentvolumes',
  'clusterroles',
  'clusterrolebindings',
  'customresourcedefinitions',
  'storageclasses',
  'certificatesigningrequests',
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
  'priorityclasses',
  'csidrivers',
  'csinodes',
  'volumeattachments',
  'ingressclasses',
  'runtimeclasses',
  'apiservices',
  'users',
  'groups',
  'uids',
  'userextras',
]);
