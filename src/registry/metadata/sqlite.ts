import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, type Digest } from '../../core/index.js';
import { RegistryError } from '../errors.js';
import type {
  LinkedDigest,
  ManifestInventory,
  ManifestRecord,
  MetadataStore,
  Page,
  ReleaseOutcome,
} from './metadata-store.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS repositories (
  name TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS blob_links (
  repository TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  linked_at TEXT NOT NULL,
  PRIMARY KEY (repository, digest)
) STRICT;
CREATE INDEX IF NOT EXISTS blob_links_digest ON blob_links(digest);
CREATE TABLE IF NOT EXISTS manifests (
  repository TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  subject TEXT,
  artifact_type TEXT,
  config_media_type TEXT,
  annotations TEXT,
  pushed_at TEXT NOT NULL,
  PRIMARY KEY (repository, digest)
) STRICT;
CREATE INDEX IF NOT EXISTS manifests_digest ON manifests(digest);
CREATE INDEX IF NOT EXISTS manifests_subject ON manifests(repository, subject) WHERE subject IS NOT NULL;
CREATE TABLE IF NOT EXISTS tags (
  repository TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (repository, tag),
  FOREIGN KEY (repository, digest) REFERENCES manifests(repository, digest) ON DELETE CASCADE
) STRICT;
`;

type ManifestRow = {
  digest: string;
  media_type: string;
  size: number;
  subject: string | null;
  artifact_type: string | null;
  config_media_type: string | null;
  annotations: string | null;
};

function toRecord(row: ManifestRow): ManifestRecord {
  return {
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: row.size,
    subject: (row.subject ?? undefined) as Digest | undefined,
    artifactType: row.artifact_type ?? undefined,
    configMediaType: row.config_media_type ?? undefined,
    annotations:
      typeof row.annotations === 'string'
        ? (JSON.parse(row.annotations) as Record<string, string>)
        : undefined,
  };
}

const MAX_PAGE = 10_000;

// The meta row counting manifest writes (ManifestInventory.generation); absent means 0.
const GENERATION_KEY = 'manifest_generation';

function limitOf(page: Page | undefined): number {
  return page?.n === undefined ? -1 : Math.min(page.n, MAX_PAGE);
}

/**
 * The metadata store in one SQLite file (WAL, foreign keys on, synchronous FULL so that a
 * manifest acknowledged to a client survives a crash).
 */
export class SqliteMetadataStore implements MetadataStore {
  readonly file: string;
  readonly #db: Database.Database;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.#db = db;
  }

  /**
   * Opens (creating when missing) the database at `file`.
   * @throws RegistryError STORAGE_FAILED when it cannot be opened or has another schema version.
   */
  static open(file: string): SqliteMetadataStore {
    const resolved = path.resolve(file);
    let db: Database.Database;
    try {
      mkdirSync(path.dirname(resolved), { recursive: true });
      db = new Database(resolved);
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
    } catch (err) {
      throw new RegistryError(
        'STORAGE_FAILED',
        `cannot open registry database ${resolved}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    const row = db
      .prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'")
      .get();
    if (row === undefined) {
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    } else if (row.value !== String(SCHEMA_VERSION)) {
      db.close();
      throw new RegistryError(
        'STORAGE_FAILED',
        `registry database ${resolved} has schema version ${row.value.slice(0, 20)}, this build reads ${SCHEMA_VERSION}`,
      );
    }
    return new SqliteMetadataStore(resolved, db);
  }

  #ensure(name: string): void {
    this.#db
      .prepare('INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING')
      .run(name, new Date().toISOString());
  }

  ensureRepository(name: string): Promise<void> {
    this.#ensure(name);
    return Promise.resolve();
  }

  hasRepository(name: string): Promise<boolean> {
    return Promise.resolve(
      this.#db.prepare('SELECT 1 FROM repositories WHERE name = ?').get(name) !== undefined,
    );
  }

  listRepositories(page?: Page): Promise<string[]> {
    const rows = this.#db
      .prepare<[string, number], { name: string }>(
        'SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?',
      )
      .all(page?.last ?? '', limitOf(page));
    return Promise.resolve(rows.map((r) => r.name));
  }

  linkBlob(repository: string, digest: Digest): Promise<void> {
    this.#db.transaction(() => {
      this.#ensure(repository);
      this.#db
        // Linking again refreshes the time: a blob pushed again is as young as a new one to gc.
        .prepare(
          `INSERT INTO blob_links (repository, digest, linked_at) VALUES (?, ?, ?)
           ON CONFLICT(repository, digest) DO UPDATE SET linked_at = excluded.linked_at`,
        )
        .run(repository, digest, new Date().toISOString());
    })();
    return Promise.resolve();
  }

  hasBlobLink(repository: string, digest: Digest): Promise<boolean> {
    const row = this.#db
      .prepare('SELECT 1 FROM blob_links WHERE repository = ? AND digest = ?')
      .get(repository, digest);
    return Promise.resolve(row !== undefined);
  }

  unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    const r = this.#db
      .prepare('DELETE FROM blob_links WHERE repository = ? AND digest = ?')
      .run(repository, digest);
    return Promise.resolve(r.changes > 0);
  }

  putManifest(
    repository: string,
    m: ManifestRecord,
    tags: readonly string[] = [],
    requiredBlobs: readonly Digest[] = [],
  ): Promise<void> {
    const now = new Date().toISOString();
    // IMMEDIATE: the write lock is taken before the checks, so releaseBlob cannot slip between.
    const write = this.#db.transaction(() => {
      const linked = this.#db.prepare('SELECT 1 FROM blob_links WHERE repository = ? AND digest = ?');
      const missing = requiredBlobs.filter((b) => linked.get(repository, b) === undefined);
      if (missing.length > 0) {
        throw new RegistryError(
          'MANIFEST_BLOB_UNKNOWN',
          `the manifest references blobs not in ${repository}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
        );
      }
      this.#ensure(repository);
      this.#db
        .prepare(
          `INSERT INTO meta (key, value) VALUES ('${GENERATION_KEY}', '1')
           ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)`,
        )
        .run();
      this.#db
        .prepare(
          `INSERT INTO manifests (repository, digest, media_type, size, subject, artifact_type, config_media_type, annotations, pushed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(repository, digest) DO NOTHING`,
        )
        .run(
          repository,
          m.digest,
          m.mediaType,
          m.size,
          // better-sqlite3 binds undefined as NULL.
          m.subject,
          m.artifactType,
          m.configMediaType,
          m.annotations === undefined ? undefined : JSON.stringify(m.annotations),
          now,
        );
      for (const tag of tags) {
        this.#db
          .prepare(
            `INSERT INTO tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
          )
          .run(repository, tag, m.digest, now);
      }
    });
    // A refusal rejects the promise, like an asynchronous store's would, rather than throwing.
    return new Promise((resolve) => {
      write.immediate();
      resolve();
    });
  }

  getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined> {
    const row = this.#db
      .prepare<[string, string], ManifestRow>('SELECT * FROM manifests WHERE repository = ? AND digest = ?')
      .get(repository, digest);
    return Promise.resolve(row === undefined ? undefined : toRecord(row));
  }

  resolveTag(repository: string, tag: string): Promise<Digest | undefined> {
    const row = this.#db
      .prepare<[string, string], { digest: string }>(
        'SELECT digest FROM tags WHERE repository = ? AND tag = ?',
      )
      .get(repository, tag);
    return Promise.resolve(row?.digest as Digest | undefined);
  }

  deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    // Tags go with it through ON DELETE CASCADE.
    const r = this.#db
      .prepare('DELETE FROM manifests WHERE repository = ? AND digest = ?')
      .run(repository, digest);
    return Promise.resolve(r.changes > 0);
  }

  deleteTag(repository: string, tag: string): Promise<boolean> {
    const r = this.#db.prepare('DELETE FROM tags WHERE repository = ? AND tag = ?').run(repository, tag);
    return Promise.resolve(r.changes > 0);
  }

  listTags(repository: string, page?: Page): Promise<string[]> {
    const rows = this.#db
      .prepare<[string, string, number], { tag: string }>(
        'SELECT tag FROM tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?',
      )
      .all(repository, page?.last ?? '', limitOf(page));
    return Promise.resolve(rows.map((r) => r.tag));
  }

  listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestRecord[]> {
    const rows =
      artifactType === undefined
        ? this.#db
            .prepare<[string, string], ManifestRow>(
              'SELECT * FROM manifests WHERE repository = ? AND subject = ? ORDER BY digest',
            )
            .all(repository, subject)
        : this.#db
            .prepare<[string, string, string], ManifestRow>(
              'SELECT * FROM manifests WHERE repository = ? AND subject = ? AND artifact_type = ? ORDER BY digest',
            )
            .all(repository, subject, artifactType);
    return Promise.resolve(rows.map(toRecord));
  }

  listManifests(): Promise<ManifestInventory> {
    // One read transaction: the generation and the list describe the same instant.
    const inventory = this.#db.transaction(() => ({
      generation: this.#generation(),
      manifests: this.#db
        .prepare<[], { digest: string; media_type: string }>(
          'SELECT digest, MIN(media_type) AS media_type FROM manifests GROUP BY digest ORDER BY digest',
        )
        .all()
        .map((r) => ({ digest: r.digest as Digest, mediaType: r.media_type })),
    }))();
    return Promise.resolve(inventory);
  }

  listLinkedDigests(): Promise<LinkedDigest[]> {
    const rows = this.#db
      .prepare<[], { digest: string; links: number; last: string }>(
        'SELECT digest, COUNT(*) AS links, MAX(linked_at) AS last FROM blob_links GROUP BY digest ORDER BY digest',
      )
      .all();
    return Promise.resolve(
      rows.map((r) => ({ digest: r.digest as Digest, links: r.links, lastLinkedAt: new Date(r.last) })),
    );
  }

  releaseBlob(
    digest: Digest,
    guard: { readonly generation: number; readonly linkedBefore: Date },
  ): Promise<ReleaseOutcome> {
    const outcome = this.#db
      .transaction((): ReleaseOutcome => {
        const generation = this.#generation();
        if (generation !== guard.generation) return { kind: 'stale', generation };
        if (this.#db.prepare('SELECT 1 FROM manifests WHERE digest = ? LIMIT 1').get(digest) !== undefined)
          return { kind: 'kept' };
        const recent = this.#db
          .prepare('SELECT 1 FROM blob_links WHERE digest = ? AND linked_at >= ? LIMIT 1')
          .get(digest, guard.linkedBefore.toISOString());
        if (recent !== undefined) return { kind: 'kept' };
        const r = this.#db.prepare('DELETE FROM blob_links WHERE digest = ?').run(digest);
        return { kind: 'released', links: r.changes };
      })
      .immediate();
    return Promise.resolve(outcome);
  }

  #generation(): number {
    const row = this.#db
      .prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = '${GENERATION_KEY}'`)
      .get();
    return row === undefined ? 0 : Number(row.value);
  }

  /** Runs SQLite's integrity check; "ok" when the file is sound. */
  integrityCheck(): string {
    const rows = this.#db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
