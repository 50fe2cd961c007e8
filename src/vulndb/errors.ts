import { PortcullisError } from '../core/index.js';

export type VulnDbErrorCode =
  /** The database file does not exist (and was opened read-only). */
  | 'DB_NOT_FOUND'
  /** The file is not a Portcullis database, or one written by a newer Portcullis. */
  | 'DB_INCOMPATIBLE'
  /** SQLite failed (disk full, locked, corrupt file). */
  | 'DB_FAILED'
  /** An input file or archive could not be read as OSV data (corrupt archive, bad JSON/YAML). */
  | 'INPUT_INVALID'
  /** An input went over a cap (record size, archive entries, total bytes). */
  | 'INPUT_TOO_LARGE';

/** Errors of the vulnerability database: opening, importing, reading. */
export class VulnDbError extends PortcullisError<VulnDbErrorCode> {}
