// The registry of `portcullis audit`'s rules (PC-K8S-NNN). The audit command runs exactly
// the rules in KUBE_RULES; the policy's audit.rules and audit.ignore may only name these ids
// (plus the engine's own PC-K8S-000), and SARIF takes their metadata from here.
//
// To add a rule: one import line in the block below and one entry in the array, both kept
// sorted by rule id, so concurrent additions touch different lines. A rule module exports
// one ObjectRule or BundleRule (src/kube/types.ts); RBAC rules live under src/kube/rbac/ and
// are imported from there. registry.test.ts checks ids are unique, sorted and documented.
import type { AuditRule } from '../types.js';
// import { envSecretLiteral } from './PC-K8S-001.js';

/** Every audit rule, sorted by id. */
export const KUBE_RULES: readonly AuditRule[] = [
  // envSecretLiteral, // PC-K8S-001
];
