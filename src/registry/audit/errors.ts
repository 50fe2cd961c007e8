import { PortcullisError } from '../../core/index.js';

export type AuditErrorCode =
  /** The audit tables were written by a newer Portcullis. */
  | 'STORE_INCOMPATIBLE'
  /** A query filter is malformed (unknown action, bad time, bad limit). */
  | 'QUERY_INVALID';

/** Failures of the audit log. */
export class AuditError extends PortcullisError<AuditErrorCode> {}
