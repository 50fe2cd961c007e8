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

// --- workload rules

// --- rbac

// --- encryption config and generators
