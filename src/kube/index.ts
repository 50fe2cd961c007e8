// Kubernetes manifests: loading, the audit engine and its rules (PC-K8S-NNN), RBAC analysis,
// EncryptionConfiguration audit, and generators for pull secrets and encryption configs.
// Each section below is owned by one part of the work; add exports only to your own section.

// --- shared types
export type {
  AuditContext,
  AuditFinding,
  AuditRule,
  BundleRule,
  KubeResource,
  LoadedObject,
  ObjectRule,
  ObjectSource,
  PathSegment,
  RuleHit,
} from './types.js';

// --- load and engine (manifest loading, audit engine, suppressions, renderers)
export { ManifestError } from './load/errors.js';
export type { ManifestErrorCode } from './load/errors.js';
export {
  loadManifests,
  resourceOf,
  formatSource,
  formatObjectPath,
  MAX_MANIFEST_BYTES,
  MAX_MANIFEST_OBJECTS,
  MAX_MANIFEST_DOCUMENTS,
  MAX_YAML_ALIASES,
} from './load/parse.js';
export type { ManifestInput, LoadOptions } from './load/parse.js';
export { readManifestInputs, MAX_MANIFEST_FILES } from './load/read.js';
export type { ManifestReadIO, ReadOptions } from './load/read.js';
export {
  AuditEngineError,
  applyAuditPolicy,
  auditBundle,
  auditObjects,
  auditRuleMetas,
} from './engine/audit.js';
export type {
  AuditOptions,
  AuditReport,
  ExpiredIgnore,
  Suppression,
  SuppressedFinding,
} from './engine/audit.js';
export { IGNORE_ANNOTATION, SUPPRESSION_RULE, parseIgnoreAnnotation } from './engine/suppress.js';
export type { IgnoreEntry, ParsedIgnore } from './engine/suppress.js';
export { KUBE_RULES } from './rules/index.js';
export { formatAuditText, formatResource } from './render/text.js';
export { toAuditJson, formatAuditJson } from './render/json.js';
export type { AuditJsonDocument, AuditJsonFinding } from './render/json.js';
export { toAuditSarif, formatAuditSarif } from './render/sarif.js';

// --- workload rules
export { podOf, POD_KINDS, describeContainer, effectiveSetting, serviceAccountName } from './pod.js';
export type { PodView, PodContainer, ContainerList } from './pod.js';
export { isSecretName, isRealLookingValue } from './rules/secret-values.js';

// --- rbac
export {
  CREATE_WORKLOADS,
  ESCALATE_OR_BIND,
  IMPERSONATE,
  NODES_PROXY,
  POD_EXEC,
  READ_SECRETS,
  buildRbacModel,
  findAdminBindings,
  findWildcardRoles,
  formatScope,
  formatSubject,
  listGrants,
  runPermissionCheck,
  whoCan,
} from './rbac/index.js';
export type {
  AccessQuery,
  PermissionCheck,
  RbacBinding,
  RbacFinding,
  RbacGrant,
  RbacModel,
  RbacRole,
  RbacScope,
  RbacSubject,
  WhoCanEntry,
  WhoCanOptions,
} from './rbac/index.js';

// --- encryption config and generators
export { EncryptionConfigError } from './encryption/errors.js';
export type { EncryptionConfigErrorCode, EncryptionConfigFieldError } from './encryption/errors.js';
export {
  ENCRYPTION_CONFIG_VERSIONS,
  MAX_ENCRYPTION_CONFIG_BYTES,
  formatFieldError,
  formatFieldPath,
  loadEncryptionConfigFile,
  parseEncryptionConfig,
  tryParseEncryptionConfig,
} from './encryption/parse.js';
export type {
  EncryptionConfig,
  EncryptionKey,
  EncryptionProvider,
  EncryptionProviderType,
  EncryptionResourceConfig,
  LoadedEncryptionConfig,
} from './encryption/types.js';
export { auditEncryptionConfig, secretsCoverage } from './encryption/audit.js';
export type { SecretsCoverage } from './encryption/audit.js';
export { ENCRYPTION_CONFIG_RULES } from './encryption/rules.js';
export { apiServerWithoutEncryption } from './encryption/apiserver-flag.js';
export {
  GENERATED_PROVIDERS,
  formatEncryptionConfig,
  generateEncryptionConfig,
} from './encryption/generate.js';
export type {
  GenerateEncryptionConfigOptions,
  GeneratedEncryptionConfig,
  GeneratedProviderType,
} from './encryption/generate.js';
export { PullSecretError, buildPullSecret, formatPullSecret } from './pullsecret/build.js';
export type { PullSecret, PullSecretErrorCode, PullSecretInput } from './pullsecret/build.js';
