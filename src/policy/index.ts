export { PolicyError } from './errors.js';
export type { PolicyErrorCode } from './errors.js';
export { policySchema, POLICY_API_VERSION, POLICY_KIND, SEVERITIES, RULE_ID_RE } from './schema.js';
export type {
  Policy,
  Severity,
  LintSection,
  AuditSection,
  AuditIgnore,
  LintRuleSetting,
  AdmissionRule,
  AdmissionRuleKind,
  Exemption,
} from './schema.js';
export { parsePolicy, loadPolicyFile, policyLocation, POLICY_FILE_NAME, MAX_POLICY_BYTES } from './load.js';
export { lintSettings, unknownRuleIds, assertKnownRuleIds, splitRuleSettings } from './lint.js';
export { auditSettings, unknownAuditRuleIds, assertKnownAuditRuleIds } from './audit.js';
export type { AuditSettings, AuditIgnoreEntry } from './audit.js';
export type { LintSettings, UnknownRuleId } from './lint.js';
export { policyJsonSchema } from './json-schema.js';
export { POD_TEMPLATE_PATHS } from './workloads.js';
export { serverSectionSchema, serverProjectSchema, durationSeconds, DURATION_RE } from './server.js';
export type { ServerSection, ServerProject } from './server.js';
