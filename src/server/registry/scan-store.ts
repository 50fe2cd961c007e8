import type Database from 'better-sqlite3';
import type { Digest } from '../../core/index.js';
import type { Inventory } from '../../inventory/index.js';
import type { Finding } from '../../scan/index.js';
import { ScanWorkerError } from './scan-errors.js';
import type { ScanResultsReader, ScanStatus, StoredScan } from './scan-results.js';

// The scan-on-push results and queue in SQLite. The tables carry the `scan_` prefix and their
// own schema version (`scan_schema_version`) so that they share registry.db with the metadata,
// account and audit tables. A `pending` row is a queued job: the queue survives a restart. The
// large JSON columns come last and the periodic staleness check reads an index, so that neither
// listings nor checks walk the inventories' overflow pages.

/** Migrations in order; the schema version is the number applied. Never edit one, append. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE scan_results (
    digest TEXT PRIMARY KEY,
    repository TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'unsupported')),
    error TEXT,
    finding_count INTEGER NOT NULL DEFAULT 0,
    db_version TEXT,
    scanned_at TEXT,
    queued_at TEXT NOT NULL,
    findings TEXT NOT NULL DEFAULT '[]',
    inventory TEXT
  );
  CREATE INDEX scan_results_pending ON scan_results (queued_at) WHERE status = 'pending';
  CREATE INDEX scan_results_matched ON scan_results (db_version, status) WHERE inventory IS NOT NULL;
  CREATE TABLE scan_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    digest TEXT NOT NULL,
    repository TEXT NOT NULL,
    from_db_version TEXT,
    to_db_version TEXT NOT NULL,
    added TEXT NOT NULL,
    removed TEXT NOT NULL,
    newly_affected INTEGER NOT NULL CHECK (newly_affected IN (0, 1)),
    resolved INTEGER NOT NULL CHECK (resolved IN (0, 1))
  );
  CREATE INDEX scan_changes_time ON scan_changes (time);
  CREATE INDEX scan_changes_digest ON scan_changes (digest, id);
  `,
];

/** Schema version this code writes; a database with a newer one is refused. */
export const SCAN_SCHEMA_VERSION = MIGRATIONS.length;

/** Most change rows one query returns. */
export const MAX_SCAN_CHANGES_LIMIT = 1000;

/** What one re-match changed for one digest: advisory ids that now apply, and those that no longer do. */
export type ScanChange = {
  /** Increasing; pass the last one seen as `afterId` to read on. */
  readonly id: number;
  /** When the re-match recorded it (ISO 8601). */
  readonly time: string;
  readonly digest: Digest;
  /** The repository the digest was first pushed to. */
  readonly repository: string;
  /** The database version the findings were matched against before (undefined: never matched). */
  readonly fromDbVersion: string | undefined;
  readonly toDbVersion: string;
  /** Advisory ids (findings' primary ids) new to the digest, sorted. */
  readonly added: readonly string[];
  /** Advisory ids that no longer apply, sorted. */
  readonly removed: readonly string[];
  /** It had no findings before and has some now. */
  readonly newlyAffected: boolean;
  /** It had findings before and has none now. */
  readonly resolved: boolean;
};

/** Which changes to list, oldest first. */
export type ScanChangeQuery = {
  /** Only changes recorded at or after this instant (ISO 8601). */
  readonly since?: string | undefined;
  /** Only changes with a greater id (a cursor). */
  readonly afterId?: number | undefined;
  readonly digest?: Digest | undefined;
  /** `affected`: some advisory was added; `resolved`: it has no findings any more. */
  readonly kind?: 'affected' | 'resolved' | undefined;
  /** Default 100, at most {@link MAX_SCAN_CHANGES_LIMIT}. */
  readonly limit?: number | undefined;
};

/** One stored scan without its findings, for listings. */
export type ScanSummary = {
  readonly digest: Digest;
  /** The repository the digest was first pushed to (its content is read from there). */
  readonly repository: string;
  readonly status: ScanStatus;
  readonly error: string | undefined;
  readonly findingCount: number;
  readonly dbVersion: string | undefined;
  readonly scannedAt: string | undefined;
  readonly queuedAt: string;
};

/** Which scans to list, in digest order. */
export type ScanListQuery = {
  readonly status?: ScanStatus | undefined;
  readonly repository?: string | undefined;
  /** Only digests after this one (a cursor). */
  readonly after?: Digest | undefined;
  /** Default 100, at most {@link MAX_SCAN_CHANGES_LIMIT}. */
  readonly limit?: number | undefined;
};

/** A queued scan, as the worker takes it. */
export type ScanJob = { readonly digest: Digest; readonly repository: string };

/** A stored inventory to match again. */
export type StoredInventory = {
  readonly digest: Digest;
  readonly repository: string;
  readonly inventory: Inventory;
  readonly findings: readonly Finding[];
  readonly dbVersion: string | undefined;
};

type ResultRow = {
  digest: string;
  repository: string;
  status: ScanStatus;
  // SQL NULL reads back as null: typed unknown and checked with typeof.
  error: unknown;
  findings: string;
  inventory: unknown;
  db_version: unknown;
  scanned_at: unknown;
  queued_at: string;
};

type ChangeRow = {
  id: number;
  time: string;
  digest: string;
  repository: string;
  from_db_version: unknown;
  to_db_version: string;
  added: string;
  removed: string;
  newly_affected: number;
  resolved: number;
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

// Findings and inventories are stored without the files each OS package owns: the matcher does
// not read them, and they are most of an inventory's size.
function withoutFiles<T extends { readonly files?: readonly string[] | undefined }>(pkg: T): T {
  if (pkg.files === undefined) return pkg;
  return Object.fromEntries(Object.entries(pkg).filter(([k]) => k !== 'files')) as T;
}

/** The inventory as stored: packages without their file lists. */
export function compactInventory(inventory: Inventory): Inventory {
  return { ...inventory, packages: inventory.packages.map(withoutFiles) };
}

function compactFindings(findings: readonly Finding[]): Finding[] {
  return findings.map((f) => ({ ...f, package: withoutFiles(f.package) }));
}

/** The sorted, distinct advisory ids of findings. */
export function advisoryIds(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((f) => f.id))].sort();
}

function toScan(row: ResultRow): StoredScan {
  return {
    digest: row.digest as Digest,
    status: row.status,
    findings: JSON.parse(row.findings) as Finding[],
    error: str(row.error),
    scannedAt: str(row.scanned_at),
    dbVersion: str(row.db_version),
  };
}

function toChange(row: ChangeRow): ScanChange {
  return {
    id: row.id,
    time: row.time,
    digest: row.digest as Digest,
    repository: row.repository,
    fromDbVersion: str(row.from_db_version),
    toDbVersion: row.to_db_version,
    added: JSON.parse(row.added) as string[],
    removed: JSON.parse(row.removed) as string[],
    newlyAffected: row.newly_affected === 1,
    resolved: row.resolved === 1,
  };
}

function checkLimit(limit: number | undefined): number {
  const n = limit ?? 100;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SCAN_CHANGES_LIMIT) {
    throw new ScanWorkerError(
      'SCAN_QUERY_INVALID',
      `limit must be a whole number from 1 to ${MAX_SCAN_CHANGES_LIMIT}`,
    );
  }
  return n;
}

/** Creates or upgrades the scan tables on `db`. @throws ScanWorkerError SCAN_STORE_INCOMPATIBLE */
export function migrateScanSchema(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS scan_schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)',
  );
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM scan_schema_version WHERE id = 1').get() as
      { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > SCAN_SCHEMA_VERSION) {
      throw new ScanWorkerError(
        'SCAN_STORE_INCOMPATIBLE',
        `scan tables have schema version ${current}; this Portcullis understands up to ${SCAN_SCHEMA_VERSION}`,
      );
    }
    for (let v = current; v < SCAN_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
    db.prepare(
      'INSERT INTO scan_schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
    ).run(SCAN_SCHEMA_VERSION);
  }).immediate();
}

/**
 * Scan results, the scan queue and the re-match change log, on a better-sqlite3 handle owned by
 * the caller (who also closes it).
 */
export class SqliteScanStore implements ScanResultsReader {
  readonly #db: Database.Database;
  // Asked on every pull by the gates and on every push by the hook: prepared once.
  readonly #get: Database.Statement<[string], ResultRow>;
  readonly #enqueue: Database.Statement<[string, string, string]>;

  /** Migrates the schema first. @throws ScanWorkerError SCAN_STORE_INCOMPATIBLE */
  constructor(db: Database.Database) {
    this.#db = db;
    migrateScanSchema(db);
    this.#get = db.prepare<[string], ResultRow>('SELECT * FROM scan_results WHERE digest = ?');
    this.#enqueue = db.prepare<[string, string, string]>(
      `INSERT INTO scan_results (digest, repository, status, queued_at) VALUES (?, ?, 'pending', ?)
       ON CONFLICT (digest) DO UPDATE SET repository = excluded.repository, status = 'pending',
         error = NULL, finding_count = 0, findings = '[]', queued_at = excluded.queued_at
       WHERE scan_results.status = 'failed' AND scan_results.inventory IS NULL`,
    );
  }

  /**
   * Queues `digest` unless it is known: a digest already queued, scanned or found unsupported is
   * left alone (the same content pushed again, or to another repository, needs no new scan).
   * A failed scan that kept no inventory is queued again. Returns whether it was queued.
   */
  enqueue(job: ScanJob, now = new Date().toISOString()): boolean {
    return this.#enqueue.run(job.digest, job.repository, now).changes > 0;
  }

  /** Records a manifest that is not scanned, with why (known digests are left alone). */
  recordUnsupportedOnPush(job: ScanJob, reason: string, now = new Date().toISOString()): boolean {
    const r = this.#db
      .prepare(
        `INSERT INTO scan_results (digest, repository, status, error, scanned_at, queued_at)
         VALUES (?, ?, 'unsupported', ?, ?, ?) ON CONFLICT (digest) DO NOTHING`,
      )
      .run(job.digest, job.repository, reason, now, now);
    return r.changes > 0;
  }

  /** Queued jobs, oldest first. */
  pending(): ScanJob[] {
    return this.#db
      .prepare<[], { digest: string; repository: string }>(
        "SELECT digest, repository FROM scan_results WHERE status = 'pending' ORDER BY queued_at, rowid",
      )
      .all()
      .map((r) => ({ digest: r.digest as Digest, repository: r.repository }));
  }

  /** Records a finished scan: its findings and the inventory they were matched from. */
  recordDone(
    digest: Digest,
    result: {
      readonly inventory: Inventory;
      readonly findings: readonly Finding[];
      readonly dbVersion: string;
      readonly scannedAt: string;
    },
  ): void {
    this.#db
      .prepare(
        `UPDATE scan_results SET status = 'done', error = NULL, finding_count = ?, findings = ?, inventory = ?, db_version = ?,
           scanned_at = ? WHERE digest = ?`,
      )
      .run(
        result.findings.length,
        JSON.stringify(compactFindings(result.findings)),
        JSON.stringify(compactInventory(result.inventory)),
        result.dbVersion,
        result.scannedAt,
        digest,
      );
  }

  /**
   * Records a failed scan. With `inventory` (the image was read but could not be matched) a later
   * re-match completes it without reading the layers again.
   */
  recordFailed(digest: Digest, error: string, scannedAt: string, inventory?: Inventory): void {
    this.#db
      .prepare(
        `UPDATE scan_results SET status = 'failed', error = ?, finding_count = 0, findings = '[]', inventory = ?, scanned_at = ?
         WHERE digest = ?`,
      )
      .run(
        error,
        inventory === undefined ? undefined : JSON.stringify(compactInventory(inventory)),
        scannedAt,
        digest,
      );
  }

  /** Records that the manifest turned out not to be an image the scanner reads. */
  recordUnsupported(digest: Digest, reason: string, scannedAt: string): void {
    this.#db
      .prepare(
        `UPDATE scan_results SET status = 'unsupported', error = ?, finding_count = 0, findings = '[]', scanned_at = ?
           WHERE digest = ?`,
      )
      .run(reason, scannedAt, digest);
  }

  scanOf(digest: Digest): Promise<StoredScan | undefined> {
    return Promise.resolve(this.scanOfSync(digest));
  }

  /** {@link scanOf} without the promise. */
  scanOfSync(digest: Digest): StoredScan | undefined {
    const row = this.#get.get(digest);
    return row === undefined ? undefined : toScan(row);
  }

  /** The stored inventory of `digest` (packages without file lists), when it was read. */
  inventoryOf(digest: Digest): Inventory | undefined {
    const row = this.#db
      .prepare<[string], { inventory: unknown }>('SELECT inventory FROM scan_results WHERE digest = ?')
      .get(digest);
    const json = str(row?.inventory);
    return json === undefined ? undefined : (JSON.parse(json) as Inventory);
  }

  /** Whether some stored inventory was matched against another database version than `dbVersion`. */
  hasStale(dbVersion: string): boolean {
    return (
      this.#db
        .prepare(
          `SELECT 1 FROM scan_results WHERE inventory IS NOT NULL AND status IN ('done', 'failed')
           AND (db_version IS NULL OR db_version != ?) LIMIT 1`,
        )
        .get(dbVersion) !== undefined
    );
  }

  /**
   * Up to `limit` stored inventories after `afterRowid`, in rowid order, with a cursor for the
   * next page. `all` includes those already matched against `dbVersion`.
   */
  inventories(
    dbVersion: string,
    afterRowid: number,
    limit: number,
    all = false,
  ): { rows: StoredInventory[]; next: number } {
    const rows = this.#db
      .prepare<[number, number, string, number], ResultRow & { rowid: number }>(
        `SELECT rowid, * FROM scan_results WHERE rowid > ? AND inventory IS NOT NULL AND status IN ('done', 'failed')
         AND (? = 1 OR db_version IS NULL OR db_version != ?) ORDER BY rowid LIMIT ?`,
      )
      .all(afterRowid, all ? 1 : 0, dbVersion, limit);
    return {
      rows: rows.map((r) => ({
        digest: r.digest as Digest,
        repository: r.repository,
        inventory: JSON.parse(str(r.inventory) ?? '{}') as Inventory,
        findings: r.status === 'done' ? (JSON.parse(r.findings) as Finding[]) : [],
        dbVersion: str(r.db_version),
      })),
      next: rows[rows.length - 1]?.rowid ?? afterRowid,
    };
  }

  /**
   * Stores the findings of a re-match and, when the advisory ids changed, what changed, in one
   * transaction. Returns the change recorded, if any.
   */
  recordRematch(
    before: StoredInventory,
    findings: readonly Finding[],
    dbVersion: string,
    time: string,
  ): ScanChange | undefined {
    const oldIds = advisoryIds(before.findings);
    const newIds = advisoryIds(findings);
    const added = newIds.filter((id) => !oldIds.includes(id));
    const removed = oldIds.filter((id) => !newIds.includes(id));
    return this.#db.transaction((): ScanChange | undefined => {
      this.#db
        .prepare(
          `UPDATE scan_results SET status = 'done', error = NULL, finding_count = ?, findings = ?, db_version = ?, scanned_at = ?
           WHERE digest = ?`,
        )
        .run(findings.length, JSON.stringify(compactFindings(findings)), dbVersion, time, before.digest);
      if (added.length === 0 && removed.length === 0) return undefined;
      const change = {
        time,
        digest: before.digest,
        repository: before.repository,
        fromDbVersion: before.dbVersion,
        toDbVersion: dbVersion,
        added,
        removed,
        newlyAffected: oldIds.length === 0 && newIds.length > 0,
        resolved: oldIds.length > 0 && newIds.length === 0,
      };
      const r = this.#db
        .prepare(
          `INSERT INTO scan_changes (time, digest, repository, from_db_version, to_db_version, added, removed, newly_affected, resolved)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          time,
          change.digest,
          change.repository,
          change.fromDbVersion,
          dbVersion,
          JSON.stringify(added),
          JSON.stringify(removed),
          change.newlyAffected ? 1 : 0,
          change.resolved ? 1 : 0,
        );
      return { id: Number(r.lastInsertRowid), ...change };
    })();
  }

  /**
   * Stored scans without their findings, in digest order.
   * @throws ScanWorkerError SCAN_QUERY_INVALID for a limit outside 1..MAX_SCAN_CHANGES_LIMIT.
   */
  listScans(query: ScanListQuery = {}): ScanSummary[] {
    const clauses: string[] = [];
    const params: Record<string, string | number> = { limit: checkLimit(query.limit) };
    const add = (value: string | undefined, name: string, clause: string): void => {
      if (value === undefined) return;
      clauses.push(clause);
      params[name] = value;
    };
    add(query.status, 'status', 'status = @status');
    add(query.repository, 'repository', 'repository = @repository');
    add(query.after, 'after', 'digest > @after');
    const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
    return this.#db
      .prepare<Record<string, string | number>, ResultRow & { finding_count: number }>(
        `SELECT digest, repository, status, error, finding_count, db_version, scanned_at, queued_at
         FROM scan_results ${where} ORDER BY digest LIMIT @limit`,
      )
      .all(params)
      .map((r) => ({
        digest: r.digest as Digest,
        repository: r.repository,
        status: r.status,
        error: str(r.error),
        findingCount: r.finding_count,
        dbVersion: str(r.db_version),
        scannedAt: str(r.scanned_at),
        queuedAt: r.queued_at,
      }));
  }

  /**
   * Re-match changes, oldest first.
   * @throws ScanWorkerError SCAN_QUERY_INVALID for a limit outside 1..MAX_SCAN_CHANGES_LIMIT.
   */
  changesSince(query: ScanChangeQuery = {}): ScanChange[] {
    const clauses: string[] = [];
    const params: Record<string, string | number> = { limit: checkLimit(query.limit) };
    if (query.since !== undefined) {
      clauses.push('time >= @since');
      params['since'] = query.since;
    }
    if (query.afterId !== undefined) {
      clauses.push('id > @afterId');
      params['afterId'] = query.afterId;
    }
    if (query.digest !== undefined) {
      clauses.push('digest = @digest');
      params['digest'] = query.digest;
    }
    if (query.kind === 'affected') clauses.push("added != '[]'");
    if (query.kind === 'resolved') clauses.push('resolved = 1');
    const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
    return this.#db
      .prepare<Record<string, string | number>, ChangeRow>(
        `SELECT * FROM scan_changes ${where} ORDER BY id LIMIT @limit`,
      )
      .all(params)
      .map(toChange);
  }
}
