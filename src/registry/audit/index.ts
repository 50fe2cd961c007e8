// The registry's audit log: interface, SQLite implementation and errors.
export {
  AUDIT_ACTIONS,
  DEFAULT_AUDIT_LIMIT,
  MAX_AUDIT_LIMIT,
  MAX_AUDIT_TEXT,
  MAX_USER_AGENT,
} from './audit-log.js';
export type {
  AuditAction,
  AuditActorKind,
  AuditEvent,
  AuditLog,
  AuditQuery,
  AuditResult,
  StoredAuditEvent,
} from './audit-log.js';
export { AuditError } from './errors.js';
export type { AuditErrorCode } from './errors.js';
export { SqliteAuditLog, migrateAuditSchema, AUDIT_SCHEMA_VERSION } from './sqlite.js';
