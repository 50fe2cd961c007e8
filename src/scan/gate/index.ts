// The scan gate: which findings count, given severities, unfixed filtering, an ignore file and
// VEX documents, and the exit code that follows.
export { applyPolicy, exitCodeFor, isExpired } from './policy.js';
export { parseIgnoreFile, IGNORE_FILE_NAME, MAX_IGNORE_FILE_BYTES } from './ignore-file.js';
export { parseOpenVex, MAX_VEX_BYTES } from './vex.js';
export { purlMatches } from './purl.js';
export { GateError } from './errors.js';
export type { GateErrorCode } from './errors.js';
export type {
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
} from './types.js';
