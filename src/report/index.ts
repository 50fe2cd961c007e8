export type { Severity, RuleEquivalents, RuleMeta, LayerRef, LintFinding } from './types.js';
export { SEVERITIES, severityRank, isAtLeast, tryParseSeverity } from './severity.js';
export { PROJECT_URL, PROJECT_HOME, ruleDocsUrl } from './docs-url.js';
export { ReportError } from './errors.js';
export type { ReportErrorCode } from './errors.js';
export { formatLintText, formatLocation, shortDigest } from './text.js';
export { toLintJson, formatLintJson, countBySeverity } from './json.js';
export type { ToolInfo, LintJsonDocument, LintJsonFinding } from './json.js';
export {
  toLintSarif,
  formatLintSarif,
  lintSarifLevel,
  lintSecuritySeverity,
  toSarifLog,
  sarifArtifactLocation,
} from './sarif.js';
export type { LintSarifOptions, SarifLevel, SarifResult } from './sarif.js';
export { formatRuleTable, formatRulesIndex } from './rules-table.js';
export type { RuleTableSection } from './rules-table.js';
