// The rpm analyzer's public door: the analyzer, and the readers it is built from for callers
// that hold a database or header blob themselves.
export { rpmAnalyzer } from './analyzer.js';
export { RpmError } from './errors.js';
export type { RpmErrorCode } from './errors.js';
export { parseRpmHeader, RpmHeader, RpmTag } from './header.js';
export { readRpmPackageInfo, formatRpmEvr, parseSourceRpm } from './package.js';
export type { RpmPackageInfo, SourceRpm } from './package.js';
export type { RpmDbRecord, RpmDbContents } from './records.js';
export { readBerkeleyDbPackages } from './bdb.js';
export { readNdbPackages } from './ndb.js';
export { readSqlitePackages } from './sqlite.js';
export type { SqliteReadOptions } from './sqlite.js';
