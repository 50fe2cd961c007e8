// The registry's audit log: who did what to which repository, with what result, from where.
// Records never hold credentials: no passwords, tokens, Authorization headers or query strings.

/** What kind of caller acted. */
export type AuditActorKind = 'user' | 'robot' | 'anonymous';

/**
 * What happened. `token` is a token issued by `/token`; `login` a failed authentication;
 * `manage` a change made through the management API (its `target` says which).
 */
export type AuditAction = 'push' | 'pull' | 'delete' | 'login' | 'token' | 'denied' | 'manage';

/** The audit actions, in a fixed order (for validating filters). */
export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'push',
  'pull',
  'delete',
  'login',
  'token',
  'denied',
  'manage',
];

/** Whether the action went through. */
export type AuditResult = 'success' | 'failure';

/** One audit event as it is recorded. */
export type AuditEvent = {
  /** ISO 8601 UTC time. */
  readonly time: string;
  readonly actorKind: AuditActorKind;
  /** The user or robot name; `anonymous` for anonymous callers; the name tried for failed logins. */
  readonly actor: string;
  readonly action: AuditAction;
  readonly repository?: string | undefined;
  /** The tag or digest named in the request. */
  readonly reference?: string | undefined;
  /** The manifest digest pushed, pulled or deleted. */
  readonly digest?: string | undefined;
  /**
   * What a `manage` event changed, such as `user:alice password changed` or
   * `member:team/bob set to developer`. Names and roles only: never a password, token or hash.
   */
  readonly target?: string | undefined;
  readonly result: AuditResult;
  /** Why it failed or was denied (safe to show: names no secret). */
  readonly reason?: string | undefined;
  /** The client's address as the server saw it. */
  readonly client: string;
  /** The client's User-Agent, truncated to {@link MAX_USER_AGENT}. */
  readonly userAgent?: string | undefined;
  /** The HTTP status answered. */
  readonly status?: number | undefined;
};

/** An audit event as stored, with its sequence number. */
export type StoredAuditEvent = AuditEvent & { readonly id: number };

/** Filters for reading the log; every given field must match. */
export type AuditQuery = {
  readonly actor?: string | undefined;
  readonly repository?: string | undefined;
  readonly action?: AuditAction | undefined;
  /** Events at or after this ISO time. */
  readonly since?: string | undefined;
  /** Events with an id below this (paging backwards from the newest). */
  readonly before?: number | undefined;
  /** At most this many events (default {@link DEFAULT_AUDIT_LIMIT}, at most {@link MAX_AUDIT_LIMIT}). */
  readonly limit?: number | undefined;
};

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;
/** User-Agent headers are cut to this many characters. */
export const MAX_USER_AGENT = 200;
/** Free-text fields (reason, names) are cut to this many characters. */
export const MAX_AUDIT_TEXT = 500;

/** Where the registry writes and reads audit events. */
export type AuditLog = {
  /** Records one event; cheap and synchronous so the request path pays one insert. */
  record(event: AuditEvent): void;
  /** Events matching `query`, newest first. */
  query(query?: AuditQuery): StoredAuditEvent[];
  /** Every event matching `query` (its limit ignored), oldest first, one JSON object per line. */
  exportJsonLines(query?: Omit<AuditQuery, 'limit' | 'before'>): Iterable<string>;
};
