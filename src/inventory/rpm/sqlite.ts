// rpm's SQLite package database, `rpmdb.sqlite` (rpm ≥ 4.16: RHEL/UBI 9, Fedora ≥ 33, CBL-Mariner
// 2, Amazon Linux 2023). Headers sit in `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`
// (rpm's lib/backend/sqlite.c); the other tables are indexes rpm can rebuild.
//
// The database is read in memory, from the image's bytes (better-sqlite3 deserializes a
// Buffer), so nothing is written to disk. rpm keeps the file in WAL mode; SQLite's in-memory
// databases cannot be in WAL mode, so the copy's header bytes 18 and 19 (file format versions,
// 2 = WAL: https://sqlite.org/fileformat2.html#file_format_version_numbers) are set to 1, which
// changes nothing about the content. Only when the image also holds a non-empty
// `rpmdb.sqlite-wal` (transactions not yet checkpointed into the main file) are both files
// written to a private temporary directory under the cache directory, opened there read-only so
// SQLite applies the log, and removed right after.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defaultCacheDir, errorMessage } from '../../core/index.js';
import { RpmError } from './errors.js';
import { byInstance, type RpmDbContents, type RpmDbRecord } from './records.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** A WAL file's own header is 32 bytes; anything shorter holds no frames. */
const WAL_HEADER_BYTES = 32;

/** Options for reading an rpm SQLite database. */
export type SqliteReadOptions = {
  /** Content of `rpmdb.sqlite-wal` beside the database, when the image has one. */
  readonly wal?: Buffer | undefined;
  /** Where a temporary copy may be made when a WAL must be applied; default `<cache>/tmp`. */
  readonly tmpDir?: string | undefined;
};

function invalid(message: string, cause?: unknown): never {
  throw new RpmError('RPM_DB_INVALID', `SQLite: ${message}`, { cause });
}

/** The Packages rows of an open database. */
function readRows(db: Database.Database): RpmDbContents {
  const table = db.prepare("SELECT type FROM sqlite_master WHERE name = 'Packages'").get() as
    { type: unknown } | undefined;
  // Only a real table is read: a view (hostile or not) could run arbitrary queries.
  if (table?.type !== 'table') invalid('no Packages table: not an rpm database');
  const records: RpmDbRecord[] = [];
  const problems: string[] = [];
  for (const row of db.prepare('SELECT hnum, blob FROM Packages').iterate() as Iterable<{
    hnum: unknown;
    blob: unknown;
  }>) {
    if (typeof row.hnum !== 'number' || !Number.isSafeInteger(row.hnum) || row.hnum <= 0) {
      problems.push(`a row has hnum ${String(row.hnum)}, not a positive integer; skipped`);
    } else if (!Buffer.isBuffer(row.blob)) {
      problems.push(`row ${row.hnum}: blob is ${typeof row.blob}, not binary; skipped`);
    } else {
      records.push({ instance: row.hnum, blob: row.blob });
    }
  }
  return { records: byInstance(records), problems };
}

function readInMemory(file: Buffer): RpmDbContents {
  const copy = Buffer.from(file);
  if (copy[18] === 2 && copy[19] === 2) {
    copy[18] = 1;
    copy[19] = 1;
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(copy, { readonly: true });
    return readRows(db);
  } catch (err) {
    if (err instanceof RpmError) throw err;
    return invalid(errorMessage(err), err);
  } finally {
    db?.close();
  }
}

async function readWithWal(file: Buffer, wal: Buffer, tmpDir: string): Promise<RpmDbContents> {
  await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(path.join(tmpDir, 'rpmdb-'));
  try {
    const dbPath = path.join(dir, 'rpmdb.sqlite');
    await writeFile(dbPath, file, { mode: 0o600 });
    await writeFile(`${dbPath}-wal`, wal, { mode: 0o600 });
    let db: Database.Database | undefined;
    try {
      db = new Database(dbPath, { readonly: true, fileMustExist: true });
      return readRows(db);
    } catch (err) {
      if (err instanceof RpmError) throw err;
      return invalid(errorMessage(err), err);
    } finally {
      db?.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reads the header records of an rpm `rpmdb.sqlite`, applying its write-ahead log when one is
 * given. Rows without a positive hnum or a binary blob are skipped and named in `problems`.
 *
 * @throws RpmError RPM_DB_INVALID when the file is not an SQLite database, has no Packages
 *   table, or SQLite reports it corrupt; errors from creating the temporary copy (WAL case only).
 */
export async function readSqlitePackages(
  file: Buffer,
  options: SqliteReadOptions = {},
): Promise<RpmDbContents> {
  if (file.length < 100 || !file.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    invalid('no "SQLite format 3" header: not an SQLite database');
  }
  const wal = options.wal;
  if (wal !== undefined && wal.length > WAL_HEADER_BYTES) {
    return readWithWal(file, wal, options.tmpDir ?? path.join(defaultCacheDir(), 'tmp'));
  }
  return readInMemory(file);
}
