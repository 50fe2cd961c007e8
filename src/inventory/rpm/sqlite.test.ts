import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { RpmError } from './errors.js';
import { parseRpmHeader } from './header.js';
import { readRpmPackageInfo } from './package.js';
import type { RpmDbContents } from './records.js';
import { readSqlitePackages } from './sqlite.js';

// The CBL-Mariner 2.0 rpmdb.sqlite was written by rpm; its EXPECTED-rpm-qa.tsv was made from it
// with rpm 4.18 (NAME EPOCHNUM VERSION RELEASE ARCH SOURCERPM LICENSE, sorted). Databases with
// a pending write-ahead log, or broken ones, are made here with SQLite itself (better-sqlite3).

const MARINER_DIR = sharedData('pkgdb-fixtures', 'rpm', 'cbl-mariner-2.0');
const MARINER = readFileSync(path.join(MARINER_DIR, 'rpmdb.sqlite'));
const EXPECTED = readFileSync(path.join(MARINER_DIR, 'EXPECTED-rpm-qa.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l !== '');
const QF = '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\n';
const RPM_SCHEMA = "CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)";
const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-rpmsqlite-'));

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function rowsOf(contents: RpmDbContents): string[] {
  return contents.records
    .map((r) => {
      const i = readRpmPackageInfo(parseRpmHeader(r.blob));
      return [i.name, String(i.epoch ?? 0), i.version, i.release, i.arch, i.sourceRpm, i.license].join('\t');
    })
    .sort();
}

function rpmQa(dbDir: string): string[] {
  const out = execFileSync('rpm', ['--dbpath', dbDir, '-qa', '--qf', QF], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

async function expectRpmError(
  promise: Promise<unknown>,
  code: RpmError['code'],
  reason: RegExp,
): Promise<void> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RpmError);
  expect((err as RpmError).code).toBe(code);
  expect((err as RpmError).message).toMatch(/^SQLite: /);
  expect((err as RpmError).message).toMatch(reason);
}

/** A new database file in the work directory, made by `build`, and its bytes. */
function makeDb(name: string, build: (db: Database.Database) => void): Buffer {
  const file = path.join(work, `${name}.sqlite`);
  const db = new Database(file);
  try {
    build(db);
  } finally {
    db.close();
  }
  return readFileSync(file);
}

describe('readSqlitePackages on the database rpm wrote', () => {
  it('reads all 129 headers, exactly the packages rpm -qa lists', async () => {
    const copy = Buffer.from(MARINER);
    const db = await readSqlitePackages(copy);
    expect(db.problems).toEqual([]);
    expect(db.records).toHaveLength(129);
    expect(rowsOf(db)).toEqual(EXPECTED);
    // The file stays as it was: the WAL-mode header bytes are changed in a private copy only.
    expect(copy.equals(MARINER)).toBe(true);
  });

  it('agrees with the rpm installed here, reading the same file', async () => {
    const dir = path.join(work, 'mariner');
    mkdirSync(dir);
    copyFileSync(path.join(MARINER_DIR, 'rpmdb.sqlite'), path.join(dir, 'rpmdb.sqlite'));
    expect(rowsOf(await readSqlitePackages(MARINER))).toEqual(rpmQa(dir));
  });
});

describe('readSqlitePackages with a write-ahead log', () => {
  /** A database whose last `pending` rows are only in its WAL, as SQLite leaves it before a checkpoint. */
  async function walPair(pending: number): Promise<{ dir: string; main: Buffer; wal: Buffer; all: number }> {
    const headers = (await readSqlitePackages(MARINER)).records.slice(0, 12);
    const dir = path.join(work, `wal-${String(pending)}`);
    mkdirSync(dir);
    const file = path.join(dir, 'rpmdb.sqlite');
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.exec(RPM_SCHEMA);
      const insert = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
      for (const r of headers.slice(0, headers.length - pending)) insert.run(r.instance, r.blob);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.pragma('wal_autocheckpoint = 0');
      for (const r of headers.slice(headers.length - pending)) insert.run(r.instance, r.blob);
      // Copied while the connection is open, so the log is not yet folded into the main file.
      return { dir, main: readFileSync(file), wal: readFileSync(`${file}-wal`), all: headers.length };
    } finally {
      db.close();
    }
  }

  it('applies the log, so rows not yet checkpointed are read too, and removes its temporary copy', async () => {
    const { main, wal, all } = await walPair(5);
    expect((await readSqlitePackages(main)).records).toHaveLength(all - 5);
    const tmpDir = path.join(work, 'tmp');
    const db = await readSqlitePackages(main, { wal, tmpDir });
    expect(db.records).toHaveLength(all);
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  it('reads in memory when the log is empty (what rpm leaves after a clean exit)', async () => {
    const tmpDir = path.join(work, 'tmp-unused');
    const db = await readSqlitePackages(MARINER, { wal: Buffer.alloc(0), tmpDir });
    expect(db.records).toHaveLength(129);
    expect(() => readdirSync(tmpDir)).toThrow(/ENOENT/);
  });
});

describe('readSqlitePackages on damaged or foreign files', () => {
  it('rejects a file that is not SQLite', async () => {
    await expectRpmError(
      readSqlitePackages(Buffer.alloc(4096, 0x41)),
      'RPM_DB_INVALID',
      /no "SQLite format 3" header/,
    );
  });

  it('rejects an SQLite database without a Packages table', async () => {
    const file = makeDb('no-packages', (db) => db.exec('CREATE TABLE Other (x)'));
    await expectRpmError(
      readSqlitePackages(file),
      'RPM_DB_INVALID',
      /no Packages table: not an rpm database/,
    );
  });

  it('refuses a Packages view (it could run any query)', async () => {
    const file = makeDb('view', (db) => db.exec("CREATE VIEW Packages AS SELECT 1 AS hnum, x'00' AS blob"));
    await expectRpmError(readSqlitePackages(file), 'RPM_DB_INVALID', /no Packages table/);
  });

  it('rejects a truncated database with SQLite’s own reason', async () => {
    await expectRpmError(
      readSqlitePackages(MARINER.subarray(0, Math.floor(MARINER.length / 2))),
      'RPM_DB_INVALID',
      /SQLite: .*(malformed|not a database)/,
    );
  });

  it('skips rows without a positive hnum or a binary blob, naming each', async () => {
    const blob = (await readSqlitePackages(MARINER)).records[0]?.blob ?? Buffer.alloc(0);
    const file = makeDb('odd-rows', (db) => {
      db.exec(RPM_SCHEMA);
      const insert = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
      insert.run(-3, blob);
      insert.run(7, 'text, not a blob');
      insert.run(9, blob);
    });
    const db = await readSqlitePackages(file);
    expect(db.records.map((r) => r.instance)).toEqual([9]);
    expect(db.problems).toEqual([
      'a row has hnum -3, not a positive integer; skipped',
      'row 7: blob is string, not binary; skipped',
    ]);
  });
});
