export type {
  OsvRecord,
  OsvAffected,
  OsvRange,
  OsvEvent,
  OsvEventIntroduced,
  OsvEventFixed,
  OsvEventLastAffected,
  OsvEventLimit,
  OsvSeverity,
  AdvisorySource,
} from './osv.js';
export { PORTCULLIS_KEYS } from './osv.js';
export { VulnDbError } from './errors.js';
export type { VulnDbErrorCode } from './errors.js';
export { osvRecordSchema, parseOsvRecord, safeParseOsvRecord } from './schema.js';
export type { OsvParseResult } from './schema.js';
export {
  VulnDb,
  VULNDB_SCHEMA_VERSION,
  openVulnDb,
  defaultDbPath,
  replaceDatabaseAtomically,
  rebuildVulnDb,
} from './store.js';
export type { VulnSource, StoredSource, ImportCounts, VulnDbStatus, OpenVulnDbOptions } from './store.js';
export { importPaths, readOsvPath, DEFAULT_IMPORT_LIMITS } from './import.js';
export type { ImportOptions, ImportLimits, ImportReport, InvalidRecord, SourceReport } from './import.js';
export { importFeeds, detectFeed } from './native.js';
export type { FeedKind, FeedImportReport } from './native.js';
export { updateDatabase, DEFAULT_OSV_BASE_URL } from './update.js';
export type { UpdateOptions, UpdateProgress, UpdateResult } from './update.js';
