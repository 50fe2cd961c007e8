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
