export type {
  AccessQuery,
  EffectiveRule,
  LabelSelector,
  PolicyRule,
  RbacBinding,
  RbacGrant,
  RbacRole,
  RbacScope,
  RbacSubject,
  WhoCanEntry,
} from './types.js';
export { DEFAULT_CLUSTER_ROLES } from './builtin.js';
export { buildRbacModel, matchesSelector, toPolicyRule } from './model.js';
export type { RbacModel } from './model.js';
export {
  CLUSTER_SCOPED,
  WELL_KNOWN_GROUPS,
  apiGroupMatches,
  isFullWildcard,
  nonResourceURLMatches,
  resourceMatches,
  resourceNameMatches,
  verbMatches,
} from './match.js';
export {
  bindingScope,
  formatScope,
  formatSubject,
  listGrants,
  rbacObjectName,
  ruleAllows,
  whoCan,
} from './whocan.js';
export type { WhoCanOptions } from './whocan.js';
export {
  boundRoles,
  describeByResource,
  describeSubject,
  findAdminBindings,
  findWildcardRoles,
  isAdminRule,
  isBroadSubject,
  isServiceAccountSubject,
  joinWords,
  runPermissionCheck,
} from './checks.js';
export type { Permission, PermissionCheck, RbacFinding } from './checks.js';
export {
  CREATE_WORKLOADS,
  ESCALATE_OR_BIND,
  IMPERSONATE,
  NODES_PROXY,
  POD_EXEC,
  READ_SECRETS,
} from './permissions.js';
export { rbacBundleHits, rbacModelOf } from './bundle.js';
