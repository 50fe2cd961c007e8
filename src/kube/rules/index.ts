// The registry of `portcullis audit`'s rules (PC-K8S-NNN). The audit command runs exactly
// the rules in KUBE_RULES; the policy's audit.rules and audit.ignore may only name these ids
// (plus the engine's own PC-K8S-000), and SARIF takes their metadata from here.
//
// To add a rule: one import line in the block below and one entry in the array, both kept
// sorted by rule id, so concurrent additions touch different lines. A rule module exports
// one ObjectRule or BundleRule (src/kube/types.ts); RBAC rules live under src/kube/rbac/ and
// are imported from there. registry.test.ts checks ids are unique, sorted and documented.
import type { AuditRule } from '../types.js';
import { envSecretLiteral } from './PC-K8S-001.js';
import { configMapCredentials } from './PC-K8S-002.js';
import { commandLineSecret } from './PC-K8S-003.js';
import { annotationSecret } from './PC-K8S-004.js';
import { secretInBundle } from './PC-K8S-005.js';
import { pullSecretContents } from './PC-K8S-006.js';
import { legacyTokenSecret } from './PC-K8S-007.js';
import { secretFromEnv } from './PC-K8S-008.js';
import { imageLatest } from './PC-K8S-009.js';
import { imageRegistryNotAllowed } from './PC-K8S-010.js';
import { missingPullSecret } from './PC-K8S-011.js';
import { unknownPullSecret } from './PC-K8S-012.js';
import { runsAsRoot } from './PC-K8S-013.js';
import { privilegedContainer } from './PC-K8S-014.js';
import { privilegeEscalation } from './PC-K8S-015.js';
import { writableRootFilesystem } from './PC-K8S-016.js';
import { addedCapabilities } from './PC-K8S-017.js';
import { hostNamespaces } from './PC-K8S-018.js';
import { sensitiveHostPath } from './PC-K8S-019.js';
import { serviceAccountAutomount } from './PC-K8S-020.js';
import { podAutomount } from './PC-K8S-021.js';
import { secretReaders } from './PC-K8S-040.js';
import { escalateOrBind } from './PC-K8S-041.js';
import { impersonate } from './PC-K8S-042.js';
import { createWorkloads } from './PC-K8S-043.js';
import { podExec } from './PC-K8S-044.js';
import { nodesProxy } from './PC-K8S-045.js';
import { wildcardRoles } from './PC-K8S-046.js';
import { clusterAdminBindings } from './PC-K8S-047.js';
import { apiServerWithoutEncryption } from '../encryption/apiserver-flag.js'; // PC-K8S-095

/** Every audit rule, sorted by id. */
export const KUBE_RULES: readonly AuditRule[] = [
  envSecretLiteral, // PC-K8S-001
  configMapCredentials, // PC-K8S-002
  commandLineSecret, // PC-K8S-003
  annotationSecret, // PC-K8S-004
  secretInBundle, // PC-K8S-005
  pullSecretContents, // PC-K8S-006
  legacyTokenSecret, // PC-K8S-007
  secretFromEnv, // PC-K8S-008
  imageLatest, // PC-K8S-009
  imageRegistryNotAllowed, // PC-K8S-010
  missingPullSecret, // PC-K8S-011
  unknownPullSecret, // PC-K8S-012
  runsAsRoot, // PC-K8S-013
  privilegedContainer, // PC-K8S-014
  privilegeEscalation, // PC-K8S-015
  writableRootFilesystem, // PC-K8S-016
  addedCapabilities, // PC-K8S-017
  hostNamespaces, // PC-K8S-018
  sensitiveHostPath, // PC-K8S-019
  serviceAccountAutomount, // PC-K8S-020
  podAutomount, // PC-K8S-021
  secretReaders, // PC-K8S-040
  escalateOrBind, // PC-K8S-041
  impersonate, // PC-K8S-042
  createWorkloads, // PC-K8S-043
  podExec, // PC-K8S-044
  nodesProxy, // PC-K8S-045
  wildcardRoles, // PC-K8S-046
  clusterAdminBindings, // PC-K8S-047
  apiServerWithoutEncryption, // PC-K8S-095
];
