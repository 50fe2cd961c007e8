import { PortcullisError } from '../../core/index.js';

/**
 * Codes of the rpm database readers: a header blob that breaks the header format, a database file
 * that breaks its container format, and a database format (or variant) this reader does not read.
 */
export type RpmErrorCode = 'RPM_HEADER_INVALID' | 'RPM_DB_INVALID' | 'RPM_DB_UNSUPPORTED';

/** A malformed or unsupported rpm database or header; the analyzer reports it as an inventory gap. */
export class RpmError extends PortcullisError<RpmErrorCode> {}
