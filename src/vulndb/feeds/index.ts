// Native-feed converters (Alpine secdb, Debian security tracker): each turns a distribution's own
// advisory format into OSV records for the store. Re-exported by src/vulndb/index.ts.
export { FeedError } from './errors.js';
export type { FeedErrorCode } from './errors.js';
export type { FeedStatus } from './status.js';
export { parseAlpineSecdb, alpineSecdbToOsv, parseSecfixLine } from './alpine.js';
export type { AlpineSecdb, AlpineSecfixes, AlpineConvertOptions } from './alpine.js';
export { parseDebianList, debianEcosystem, debianStatus, DEBIAN_RELEASES } from './debian.js';
export type { DebianListResult, DebianListWarning, DebianReleaseFacts } from './debian.js';
export { debianTrackerJsonToOsv, debianJsonFacts } from './debian-json.js';
export type { DebianJsonOptions, DebianJsonResult } from './debian-json.js';
