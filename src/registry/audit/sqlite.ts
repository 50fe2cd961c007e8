import type Database from 'better-sqlite3';
import {
  DEFAULT_AUDIT_LIMIT,
  MAX_AUDIT_LIMIT,
  MAX_AUDIT_TEXT,
  MAX_USER_AGENT,
  type AuditAction,
  type AuditActorKind,
  type AuditEvent,
  type AuditLog,
  type AuditQuery,
  type AuditResult,
  type StoredAuditEvent,
} from './audit-log.js';
import { AuditError } from './errors.js';

// The audit log in SQLite. Its tables carry the `audit_` prefix and their own schema version
// (`audit_schema_version`) so they share registry.db with the metadata and account tables.

/** Migrations in order; the schema version is the number applied. Never edit one, append. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'robot', 'anonymous')),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    repository TEXT,
    reference TEXT,
    digest TEXT,
    result TEXT NOT NULL CHECK (result IN ('success', 'failure')),
    reason TEXT,
    client TEXT NOT NULL,
    user_agent TEXT,
    status INTEGER
  );
  CREATE INDEX audit_events_time ON audit_events (time);
  CREATE INDEX audit_events_actor ON audit_events (actor, id);
  CREATE INDEX audit_events_repository ON audit_events (repository, id);
  CREATE INDEX audit_events_action ON audit_events (action, id);
  `,
  // 2: management changes (action 'manage') say what they changed. `action` was never
  // constrained, so older rows stay valid; a nullable column keeps them as they were.
  `
  ALTER TABLE audit_events ADD COLUMN target TEXT;
  `,
];

/** Schema version this code writes; a database with a newer one is refused. */
export const AUDIT_SCHEMA_VERSION = MIGRATIONS.length;

type Row = {
  id: number;
  time: string;
  actor_kind: AuditActorKind;
  actor: string;
  action: AuditAction;
  // SQL NULL reads back as null: typed unknown and checked with typeof.
  repository: unknown;
  reference: unknown;
  digest: unknown;
  target: unknown;
  result: AuditResult;
  reason: unknown;
  client: string;
  user_agent: unknown;
  status: unknown;
};

function cut(s: string | undefined, max = MAX_AUDIT_TEXT): string | undefined {
  return s === undefined ? undefined : s.slice(0, max);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function fromRow(r: Row): StoredAuditEvent {
  const optional = {
    repository: str(r.repository),
    reference: str(r.reference),
    digest: str(r.digest),
    target: str(r.target),
    reason: str(r.reason),
    userAgent: str(r.user_agent),
    status: typeof r.status === 'number' ? r.status : undefined,
  };
  const present = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
  return {
    id: r.id,
    time: r.time,
    actorKind: r.actor_kind,
    actor: r.actor,
    action: r.action,
    result: r.result,
    client: r.client,
    ...present,
  };
}

/** Creates or upgrades the audit tables on `db`. @throws AuditError STORE_INCOMPATIBLE */
export function migrateAuditSchema(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS audit_schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)',
  );
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM audit_schema_version WHERE id = 1').get() as
      { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > AUDIT_SCHEMA_VERSION) {
      throw new AuditError(
        'STORE_INCOMPATIBLE',
        `audit tables have schema version ${current}; this Portcullis understands up to ${AUDIT_SCHEMA_VERSION}`,
      );
    }
    for (let v = current; v < AUDIT_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
    db.prepare(
      'INSERT INTO audit_schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
    ).run(AUDIT_SCHEMA_VERSION);
  }).immediate();
}

type Filters = Omit<AuditQuery, 'limit'> & { readonly after?: number | undefined };

/** Rows read per query while exporting. */
const EXPORT_BATCH = 500;

/** {@link AuditLog} on a better-sqlite3 handle owned by the caller (who also closes it). */
export class SqliteAuditLog implements AuditLog {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  /** Prepared queries by the set of filters used (at most 2^6 of them per direction). */
  readonly #queries = new Map<string, Database.Statement>();

  /** Migrates the schema first. */
  constructor(db: Database.Database) {
    this.#db = db;
    migrateAuditSchema(db);
    this.#insert = db.prepare(
      `INSERT INTO audit_events (time, actor_kind, actor, action, repository, reference, digest, target, result, reason, client, user_agent, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  record(event: AuditEvent): void {
    // Positional parameters: better-sqlite3 binds undefined as NULL.
    this.#insert.run(
      event.time,
      event.actorKind,
      cut(event.actor) ?? '',
      event.action,
      cut(event.repository),
      cut(event.reference),
      cut(event.digest),
      cut(event.target),
      event.result,
      cut(event.reason),
      cut(event.client) ?? '',
      cut(event.userAgent, MAX_USER_AGENT),
      event.status,
    );
  }

  query(query: AuditQuery = {}): StoredAuditEvent[] {
    const limit = query.limit ?? DEFAULT_AUDIT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) {
      throw new AuditError('QUERY_INVALID', `limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}`);
    }
    const { statement, params } = this.#statement(query, 'DESC');
    return (statement.all({ ...params, limit }) as Row[]).map(fromRow);
  }

  *exportJsonLines(query: Omit<AuditQuery, 'limit' | 'before'> = {}): Iterable<string> {
    // Read in pages by id, not with statement.iterate(): an open iterator would keep the
    // connection busy, and the request path's inserts share it while the export streams.
    let after = 0;
    for (;;) {
      const { statement, params } = this.#statement({ ...query, after }, 'ASC');
      const rows = statement.all({ ...params, limit: EXPORT_BATCH }) as Row[];
      for (const row of rows) yield JSON.stringify(fromRow(row));
      const last = rows[rows.length - 1];
      if (rows.length < EXPORT_BATCH || last === undefined) return;
      after = last.id;
    }
  }

  #statement(
    query: Filters,
    order: 'ASC' | 'DESC',
  ): { statement: Database.Statement; params: Record<string, string | number> } {
    const clauses: string[] = [];
    const params: Record<string, string | number> = {};
    const add = (value: string | number | undefined, name: string, clause: string) => {
      if (value === undefined) return;
      clauses.push(clause);
      params[name] = value;
    };
    add(query.actor, 'actor', 'actor = @actor');
    add(query.repository, 'repository', 'repository = @repository');
    add(query.action, 'action', 'action = @action');
    add(query.since, 'since', 'time >= @since');
    add(query.before, 'before', 'id < @before');
    add(query.after, 'after', 'id > @after');
    const key = `${order}:${clauses.join(',')}`;
    let statement = this.#queries.get(key);
    if (statement === undefined) {
      const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
      statement = this.#db.prepare(`SELECT * FROM audit_events ${where} ORDER BY id ${order} LIMIT @limit`);
      this.#queries.set(key, statement);
    }
    return { statement, params };
  }
}
