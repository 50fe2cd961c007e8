// The scan capability's public door: matching inventories to advisories, severity, findings.
export type { Severity, FindingStatus, SeveritySource, Finding, ScanResult } from './types.js';
export { matchInventory, compareFindings } from './match/match.js';
export type { MatchOptions, MatchResult } from './match/match.js';
export { isAffected } from './match/evaluate.js';
export type { AffectedResult } from './match/evaluate.js';
export { ecosystemFor, advisoryNameFor, schemeIdForEcosystem } from './match/ecosystem.js';
export type { AdvisoryName } from './match/ecosystem.js';
export { scoreCvss3, ratingOf } from './severity/cvss3.js';
export type { CvssScore } from './severity/cvss3.js';
export { scoreCvss2 } from './severity/cvss2.js';
export { scoreCvss4 } from './severity/cvss4.js';
export {
  selectSeverity,
  normalizeRating,
  compareSeverity,
  DEFAULT_SEVERITY_ORDER,
} from './severity/select.js';
export type { SeverityChoice, MatchedRecord } from './severity/select.js';
export {
  toScanJson,
  SCAN_JSON_SCHEMA_VERSION,
  toSarif,
  sarifLevel,
  securitySeverity,
  toCycloneDxReport,
  toTable,
  shouldUseColor,
} from './report/index.js';
export type {
  CycloneDxReportInput,
  TableOptions,
  ReportInput,
  ReportTarget,
  ReportTool,
  JsonDocument,
} from './report/index.js';
export {
  applyPolicy,
  exitCodeFor,
  isExpired,
  parseIgnoreFile,
  IGNORE_FILE_NAME,
  MAX_IGNORE_FILE_BYTES,
  parseOpenVex,
  MAX_VEX_BYTES,
  purlMatches,
  GateError,
} from './gate/index.js';
export type {
  GateErrorCode,
  IgnoreEntry,
  VexStatus,
  VexJustification,
  VexProduct,
  VexStatement,
  Suppression,
  SuppressedFinding,
  FilteredFinding,
  PolicySubject,
  PolicyOptions,
  PolicyResult,
} from './gate/index.js';
export { splitBaseImageFindings, BASE_DIGEST_ANNOTATION, BASE_NAME_ANNOTATION } from './base-image.js';
export type { BaseLayerSplit } from './base-image.js';
