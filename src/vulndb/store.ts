import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, fsyncSync, closeSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defaultCacheDir, errorMessage } from '../core/index.js';
import { VulnDbError } from './errors.js';
import type { AdvisorySource, OsvRecord } from './osv.js';

// The offline vulnerability database: one SQLite file. Records are stored whole (their JSON),
// with an index from (ecosystem, package name) to record id so that matching one package is one
// indexed query. Journal mode stays DELETE (not WAL): a full rebuild replaces the file by
// rename, and a WAL file left beside the old database must never be replayed into the new one.

/** Bumped when the tables change; a file with a newer version is refused, not misread. */
export const VULNDB_SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  location TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  record_count INTEGER NOT NULL,
  etag TEXT,
  last_modified TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY,
  modified TEXT NOT NULL,
  withdrawn TEXT,
  source TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_source ON records (source);
CREATE TABLE IF NOT EXISTS affected (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_record ON affected (record_id);
`;

/** Where records came from: one feed, archive, directory or file. */
export type VulnSource = {
  /** Stable name, the key of the sources table (`osv-go`, `alpine-secdb`). Re-imports reuse it. */
  readonly name: string;
  /** What kind of input it was (`osv-tar`, `osv-zip`, `osv-dir`, `osv-file`, `alpine-secdb`, ...). */
  readonly kind: string;
  /** A path or URL. */
  readonly location: string;
  /** HTTP validators from the last download, for conditional updates. */
  readonly etag?: string;
  readonly lastModified?: string;
};

export type StoredSource = VulnSource & {
  readonly importedAt: string;
  /** Records in the database that this source last wrote. */
  readonly recordCount: number;
};

/** What one import did. */
export type ImportCounts = {
  /** Records new to the database. */
  readonly inserted: number;
  /** Records that replaced an older version (by `modified`). */
  readonly updated: number;
  /** Records not written because the stored version is as new or newer. */
  readonly unchanged: number;
};

export type VulnDbStatus = {
  readonly schemaVersion: number;
  readonly path: string;
  readonly sizeBytes: number;
  readonly created: string | undefined;
  readonly lastUpdate: string | undefined;
  readonly records: number;
  readonly ecosystems: readonly { readonly ecosystem: string; readonly records: number }[];
  readonly sources: readonly StoredSource[];
};

export type OpenVulnDbOptions = {
  /** Open an existing file for reading only (scans); it must exist. */
  readonly readonly?: boolean;
};

/**
 * The default database path: `$PORTCULLIS_DB` when set, else `<cache dir>/db/portcullis.db`.
 * An explicit `--db` path from the CLI wins over both (the caller passes it instead).
 */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['PORTCULLIS_DB'];
  if (explicit !== undefined && explicit !== '') return path.resolve(explicit);
  return path.join(defaultCacheDir(env), 'db', 'portcullis.db');
}

type SourceRow = {
  name: string;
  kind: string;
  location: string;
  imported_at: string;
  record_count: number;
  // SQL NULL reads back as JSON-style null; typed unknown and checked with typeof.
  etag: unknown;
  last_modified: unknown;
};

function dbFailure(what: string, err: unknown): VulnDbError {
  return err instanceof VulnDbError
    ? err
    : new VulnDbError('DB_FAILED', `${what}: ${errorMessage(err)}`, { cause: err });
}

/** Package keys a record is indexed under (deduplicated; entries without a package are GIT-only). */
function packageKeys(record: OsvRecord): { ecosystem: string; name: string }[] {
  const seen = new Map<string, { ecosystem: string; name: string }>();
  for (const a of record.affected ?? []) {
    if (a.package === undefined) continue;
    const { ecosystem, name } = a.package;
    seen.set(`${ecosystem}\u0000${name}`, { ecosystem, name });
  }
  return [...seen.values()];
}

/** Newer by the instant it denotes, not by string order (fractional seconds vary in length). */
function isNewer(candidate: string, stored: string): boolean {
  return Date.parse(candidate) > Date.parse(stored);
}

/** An open vulnerability database. Implements {@link AdvisorySource} for matching. */
export class VulnDb implements AdvisorySource {
  readonly path: string;
  readonly readonly: boolean;
  readonly #db: Database.Database;
  readonly #byPackage: Database.Statement<[string, string], { json: string }>;

  /** Use {@link openVulnDb}. */
  constructor(file: string, db: Database.Database, readonly: boolean) {
    this.path = file;
    this.#db = db;
    this.readonly = readonly;
    this.#byPackage = db.prepare(
      `SELECT r.json AS json FROM affected a JOIN records r ON r.id = a.record_id
       WHERE a.ecosystem = ? AND a.name = ? AND r.withdrawn IS NULL ORDER BY r.id`,
    );
  }

  /** Every non-withdrawn record with an affected entry for exactly this ecosystem and name. */
  advisoriesFor(ecosystem: string, name: string): readonly OsvRecord[] {
    // Records were validated by the OSV schema when imported; inside, their type is trusted.
    return this.#byPackage.all(ecosystem, name).map((row) => JSON.parse(row.json) as OsvRecord);
  }

  /** One record by id (withdrawn ones included), or undefined. */
  getRecord(id: string): OsvRecord | undefined {
    const row = this.#db.prepare<[string], { json: string }>('SELECT json FROM records WHERE id = ?').get(id);
    return row === undefined ? undefined : (JSON.parse(row.json) as OsvRecord);
  }

  /** The ecosystems present (as written in records, `Debian:12` and `Debian:11` apart), with record counts. */
  listEcosystems(): { ecosystem: string; records: number }[] {
    return this.#db
      .prepare<[], { ecosystem: string; records: number }>(
        `SELECT a.ecosystem AS ecosystem, COUNT(DISTINCT a.record_id) AS records
         FROM affected a JOIN records r ON r.id = a.record_id
         WHERE r.withdrawn IS NULL GROUP BY a.ecosystem ORDER BY a.ecosystem`,
      )
      .all();
  }

  /**
   * Writes records from one source in one transaction: either all of them land or, if anything
   * throws (including the iterable itself), none do. A record replaces a stored one with the
   * same id only when its `modified` is later, so re-importing the same data changes nothing.
   * @throws VulnDbError DB_FAILED when SQLite fails; whatever the iterable throws, unchanged.
   */
  importRecords(records: Iterable<OsvRecord>, source: VulnSource): ImportCounts {
    return this.importBatches([{ records, source }])[0] ?? { inserted: 0, updated: 0, unchanged: 0 };
  }

  /** Like {@link importRecords} for several sources, all in one transaction. */
  importBatches(
    batches: readonly { readonly records: Iterable<OsvRecord>; readonly source: VulnSource }[],
  ): ImportCounts[] {
    const db = this.#db;
    const getModified = db.prepare<[string], { modified: string }>(
      'SELECT modified FROM records WHERE id = ?',
    );
    const upsert = db.prepare<[string, string, string | undefined, string, string]>(
      `INSERT INTO records (id, modified, withdrawn, source, json) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET modified = excluded.modified, withdrawn = excluded.withdrawn,
         source = excluded.source, json = excluded.json`,
    );
    const unindex = db.prepare<[string]>('DELETE FROM affected WHERE record_id = ?');
    const index = db.prepare<[string, string, string]>(
      'INSERT OR IGNORE INTO affected (ecosystem, name, record_id) VALUES (?, ?, ?)',
    );
    const countSource = db.prepare<[string], { n: number }>(
      'SELECT COUNT(*) AS n FROM records WHERE source = ?',
    );
    const saveSource = db.prepare<
      [string, string, string, string, number, string | undefined, string | undefined]
    >(
      `INSERT INTO sources (name, kind, location, imported_at, record_count, etag, last_modified)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, location = excluded.location,
         imported_at = excluded.imported_at, record_count = excluded.record_count,
         etag = excluded.etag, last_modified = excluded.last_modified`,
    );
    const setMeta = db.prepare<[string, string]>(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );

    const run = db.transaction(() => {
      const now = new Date().toISOString();
      const results: ImportCounts[] = [];
      for (const { records, source } of batches) {
        let inserted = 0;
        let updated = 0;
        let unchanged = 0;
        for (const record of records) {
          const stored = getModified.get(record.id);
          if (stored !== undefined && !isNewer(record.modified, stored.modified)) {
            unchanged++;
            continue;
          }
          upsert.run(record.id, record.modified, record.withdrawn, source.name, JSON.stringify(record));
          if (stored === undefined) inserted++;
          else {
            updated++;
            unindex.run(record.id);
          }
          for (const key of packageKeys(record)) index.run(key.ecosystem, key.name, record.id);
        }
        const count = countSource.get(source.name)?.n ?? 0;
        saveSource.run(
          source.name,
          source.kind,
          source.location,
          now,
          count,
          source.etag,
          source.lastModified,
        );
        results.push({ inserted, updated, unchanged });
      }
      setMeta.run('last_update', now);
      return results;
    });
    try {
      return run();
    } catch (err) {
      if (err instanceof Error && !(err instanceof Database.SqliteError)) throw err;
      throw dbFailure(`cannot import into ${this.path}`, err);
    }
  }

  /** Records the HTTP validators of a source after a conditional download found nothing new. */
  touchSource(name: string, validators: { etag?: string; lastModified?: string }): void {
    this.#db
      .prepare<[string | undefined, string | undefined, string]>(
        'UPDATE sources SET etag = ?, last_modified = ? WHERE name = ?',
      )
      .run(validators.etag, validators.lastModified, name);
  }

  /** The stored sources, by name. */
  listSources(): StoredSource[] {
    return this.#db
      .prepare<[], SourceRow>('SELECT * FROM sources ORDER BY name')
      .all()
      .map((r) => ({
        name: r.name,
        kind: r.kind,
        location: r.location,
        importedAt: r.imported_at,
        recordCount: r.record_count,
        ...(typeof r.etag === 'string' ? { etag: r.etag } : {}),
        ...(typeof r.last_modified === 'string' ? { lastModified: r.last_modified } : {}),
      }));
  }

  #meta(key: string): string | undefined {
    return this.#db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)
      ?.value;
  }

  /** When records were last imported, or undefined for an empty database. */
  lastUpdate(): Date | undefined {
    const v = this.#meta('last_update');
    return v === undefined ? undefined : new Date(v);
  }

  /** Days since the last import (fractional), or undefined when there was none: the CLI warns when stale. */
  ageDays(now: Date = new Date()): number | undefined {
    const last = this.lastUpdate();
    return last === undefined ? undefined : (now.getTime() - last.getTime()) / 86_400_000;
  }

  /** What `db status` shows. */
  status(): VulnDbStatus {
    const records =
      this.#db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM records WHERE withdrawn IS NULL').get()
        ?.n ?? 0;
    return {
      schemaVersion: Number(this.#meta('schema_version') ?? VULNDB_SCHEMA_VERSION),
      path: this.path,
      sizeBytes: statSync(this.path).size,
      created: this.#meta('created'),
      lastUpdate: this.#meta('last_update'),
      records,
      ecosystems: this.listEcosystems(),
      sources: this.listSources(),
    };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function initialize(db: Database.Database): void {
  db.exec(DDL);
  const now = new Date().toISOString();
  const insert = db.prepare<[string, string]>('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
  insert.run('schema_version', String(VULNDB_SCHEMA_VERSION));
  insert.run('created', now);
}

function checkVersion(db: Database.Database, file: string): void {
  let version: string | undefined;
  try {
    version = db
      .prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'")
      .get()?.value;
  } catch (err) {
    throw new VulnDbError(
      'DB_INCOMPATIBLE',
      `${file} is not a Portcullis vulnerability database: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  if (version === undefined)
    throw new VulnDbError(
      'DB_INCOMPATIBLE',
      `${file} is not a Portcullis vulnerability database (no schema version)`,
    );
  if (Number(version) !== VULNDB_SCHEMA_VERSION)
    throw new VulnDbError(
      'DB_INCOMPATIBLE',
      `${file} has database schema version ${version}; this Portcullis reads version ${VULNDB_SCHEMA_VERSION} (run \`portcullis db update\` to rebuild it)`,
    );
}

/**
 * Opens (and, unless read-only, creates) the database at `file`.
 * @throws VulnDbError DB_NOT_FOUND when a read-only database does not exist, DB_INCOMPATIBLE
 *   for a file that is not a Portcullis database or has another schema version, DB_FAILED
 *   when SQLite cannot open it.
 */
export function openVulnDb(file: string = defaultDbPath(), options: OpenVulnDbOptions = {}): VulnDb {
  const readonly = options.readonly === true;
  const resolved = path.resolve(file);
  if (readonly && !existsSync(resolved))
    throw new VulnDbError(
      'DB_NOT_FOUND',
      `no vulnerability database at ${resolved} (run \`portcullis db update\` or \`portcullis db import\`)`,
    );
  let db: Database.Database;
  try {
    if (!readonly) mkdirSync(path.dirname(resolved), { recursive: true });
    db = new Database(resolved, { readonly, fileMustExist: readonly });
  } catch (err) {
    throw dbFailure(`cannot open ${resolved}`, err);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!readonly) {
      db.pragma('journal_mode = DELETE');
      initialize(db);
    }
    checkVersion(db, resolved);
    return new VulnDb(resolved, db, readonly);
  } catch (err) {
    db.close();
    throw dbFailure(`cannot open ${resolved}`, err);
  }
}

/** Makes a rename durable; best effort, as some file systems refuse to open directories. */
function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // The rename itself is atomic either way; only its durability across a crash is at stake.
  }
}

/**
 * Moves a database built at `tempPath` to `finalPath` in one rename (same directory, so same
 * file system): readers see the old database or the whole new one. The temp file must be closed.
 * @throws VulnDbError DB_FAILED when the rename fails (the temp file is then removed).
 */
export function replaceDatabaseAtomically(tempPath: string, finalPath: string): void {
  try {
    const fd = openSync(tempPath, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tempPath, finalPath);
    fsyncDirectory(path.dirname(finalPath));
    // A rollback journal left by a crashed writer of the old file belongs to the old file.
    rmSync(`${finalPath}-journal`, { force: true });
  } catch (err) {
    rmSync(tempPath, { force: true });
    throw dbFailure(`cannot replace ${finalPath}`, err);
  }
}

/**
 * Builds a fresh database beside `finalPath` and, when `build` succeeds, swaps it in atomically.
 * When `build` throws, the old database is left as it was and the partial one is deleted.
 */
export async function rebuildVulnDb<T>(finalPath: string, build: (db: VulnDb) => Promise<T> | T): Promise<T> {
  const resolved = path.resolve(finalPath);
  mkdirSync(path.dirname(resolved), { recursive: true });
  const temp = path.join(
    path.dirname(resolved),
    `.tmp-${path.basename(resolved)}-${randomBytes(6).toString('hex')}`,
  );
  const db = openVulnDb(temp);
  try {
    const result = await build(db);
    db.close();
    replaceDatabaseAtomically(temp, resolved);
    return result;
  } catch (err) {
    db.close();
    rmSync(temp, { force: true });
    rmSync(`${temp}-journal`, { force: true });
    throw err;
  }
}
