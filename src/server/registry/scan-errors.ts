import { PortcullisError } from '../../core/index.js';

export type ScanWorkerErrorCode =
  /** An option (concurrency, interval) is not a positive whole number. */
  | 'SCAN_OPTIONS_INVALID'
  /** The scan tables in registry.db were written by a newer Portcullis. */
  | 'SCAN_STORE_INCOMPATIBLE'
  /** A change query with a limit or cursor out of range. */
  | 'SCAN_QUERY_INVALID';

/** Thrown by the scan-on-push worker and its store for options and databases it cannot use. */
export class ScanWorkerError extends PortcullisError<ScanWorkerErrorCode> {}
