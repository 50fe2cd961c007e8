import { PortcullisError } from '../core/index.js';

export type ReportErrorCode = 'RULE_UNKNOWN';

/** A report could not be rendered from what it was given (a programming error in the caller). */
export class ReportError extends PortcullisError<ReportErrorCode> {}
