// Scan reports: pure functions from a scan result (after the gate) to JSON, SARIF, CycloneDX
// with vulnerabilities, or a terminal table.
export { toScanJson, SCAN_JSON_SCHEMA_VERSION } from './json.js';
export { toSarif, sarifLevel, securitySeverity } from './sarif.js';
export { toCycloneDxReport } from './cyclonedx.js';
export type { CycloneDxReportInput } from './cyclonedx.js';
export { toTable, shouldUseColor } from './table.js';
export type { TableOptions } from './table.js';
export type { ReportInput, ReportTarget, ReportTool, JsonDocument } from './types.js';
