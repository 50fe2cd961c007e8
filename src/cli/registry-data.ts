import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RegistryAuthError, SqliteAccountStore } from '../registry/index.js';
import { ExitCode } from './exit-codes.js';
import { UsageError, writeLine, type CliIO } from './io.js';

// Where `portcullis serve` keeps its state, and the account store on it, shared by serve and the
// account commands (user, project, robot) so both always open the same file the same way.

/** The default data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.portcullis';
/** The SQLite file holding metadata and accounts, inside the data directory. */
export const REGISTRY_DB_FILE = 'registry.db';

/** The `--data-dir` option, as parseArgs takes it. */
export const DATA_DIR_OPTION = { 'data-dir': { type: 'string', default: DEFAULT_DATA_DIR } } as const;

/**
 * The account store on `<dataDir>/registry.db` and its connection (which other stores of the
 * same file, such as the audit log, may share); `close` closes the connection.
 */
export type OpenAccounts = {
  readonly store: SqliteAccountStore;
  readonly db: Database.Database;
  close(): void;
};

/**
 * Opens the account store on `<dataDir>/registry.db` on a connection of its own. WAL and a busy
 * timeout let it run beside a live server. With `create` false the database must exist already.
 * @throws RegistryAuthError NOT_FOUND when `create` is false and there is no database.
 */
export async function openAccountStore(
  dataDir: string,
  opts: { readonly create: boolean },
): Promise<OpenAccounts> {
  const file = path.join(dataDir, REGISTRY_DB_FILE);
  if (opts.create) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  else if (!existsSync(file)) {
    throw new RegistryAuthError(
      'NOT_FOUND',
      `no registry data in ${dataDir.slice(-120)} (no ${REGISTRY_DB_FILE}; see --data-dir)`,
    );
  }
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    // WAL persists in the file; the server's metadata store sets it too, whichever opens first.
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    return { store: new SqliteAccountStore(db), db, close: () => db.close() };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Runs `fn` on the account store under `--data-dir` (relative to the working directory), then closes it. */
export async function withAccountStore<T>(
  io: CliIO,
  dataDir: string,
  opts: { readonly create: boolean },
  fn: (store: SqliteAccountStore) => Promise<T>,
): Promise<T> {
  const accounts = await openAccountStore(path.resolve(io.cwd, dataDir), opts);
  try {
    return await fn(accounts.store);
  } finally {
    accounts.close();
  }
}

/** Output formats of the list commands. */
export type ListFormat = 'text' | 'json';

/**
 * Prints rows as aligned text columns under `headers`, or `json` (the records) as one JSON document.
 */
export function printList(
  io: CliIO,
  format: ListFormat,
  json: unknown,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  if (format === 'json') {
    writeLine(io.stdout, JSON.stringify(json, undefined, 2));
    return;
  }
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  for (const r of all)
    writeLine(
      io.stdout,
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}

/** The `--format` option of list commands. */
export const FORMAT_OPTION = { format: { type: 'string', default: 'text' } } as const;

/** Checks `--format`. @throws UsageError for anything but text or json. */
export function parseListFormat(value: string): ListFormat {
  if (value === 'text' || value === 'json') return value;
  throw new UsageError(`--format must be text or json, got "${value.slice(0, 20)}"`);
}

/**
 * Splits `argv` into its subcommand and the rest; prints `help` and returns the exit code instead
 * for `--help` (0) or no arguments (2).
 * @throws UsageError when the subcommand is not one of `known`.
 */
export function splitSubcommand<K extends string>(
  command: string,
  argv: readonly string[],
  known: readonly K[],
  help: string,
  io: CliIO,
): readonly [K, string[]] | number {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    writeLine(first === undefined ? io.stderr : io.stdout, help);
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const found = known.find((k) => k === first);
  if (found === undefined) {
    throw new UsageError(
      `unknown ${command} subcommand "${first.slice(0, 40)}" (expected ${known.join(', ')})`,
    );
  }
  return [found, rest];
}

/** Checks the number of positional arguments. @throws UsageError naming the expected `shape`. */
export function expectArgs(positionals: readonly string[], count: number, shape: string): string[] {
  if (positionals.length !== count) throw new UsageError(`usage: portcullis ${shape}`);
  return [...positionals];
}
