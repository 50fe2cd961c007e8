import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import { errorMessage, readZipDirectory, readZipEntry, silentLogger, type Logger } from '../core/index.js';
import { VulnDbError } from './errors.js';
import type { OsvRecord } from './osv.js';
import { safeParseOsvRecord } from './schema.js';
import type { ImportCounts, VulnDb, VulnSource } from './store.js';

// Reads OSV records from the layouts the OSV databases publish: single JSON files (one record
// or an array), directories of them, OSV's per-ecosystem `all.zip` (one JSON file per record),
// tarballs of a git checkout (`.tar.gz`, streamed, never extracted) and OSV YAML (the PyPA
// advisory database). Every path is read in full before anything is written, and each path's
// records go into the database in one transaction with all the others, so a corrupt archive
// leaves the database exactly as it was.

/** Caps on untrusted input. */
export type ImportLimits = {
  /** Largest single record file (the biggest real OSV records are a few MiB). */
  readonly maxRecordBytes: number;
  /** Most files in one archive or directory tree. */
  readonly maxEntries: number;
  /** Most bytes read in one import, uncompressed. */
  readonly maxTotalBytes: number;
};

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxRecordBytes: 16 * 1024 * 1024,
  maxEntries: 1_000_000,
  maxTotalBytes: 4 * 1024 * 1024 * 1024,
};

export type ImportOptions = {
  readonly logger?: Logger;
  readonly limits?: Partial<ImportLimits>;
  /** The source name to record, when importing one path (default: the file name without extensions). */
  readonly sourceName?: string;
};

/** A record that was not imported, and why. */
export type InvalidRecord = {
  /** The file (inside an archive: `archive!entry`). */
  readonly where: string;
  readonly id?: string;
  readonly reason: string;
};

export type SourceReport = ImportCounts & { readonly source: VulnSource; readonly records: number };

export type ImportReport = {
  /** Records written (new, or newer than the stored version). */
  readonly imported: number;
  /** Valid records not written because the database already had them (same or newer `modified`). */
  readonly skipped: number;
  /** Records that failed validation or could not be parsed. */
  readonly invalid: readonly InvalidRecord[];
  readonly sources: readonly SourceReport[];
};

type SourceKind = 'osv-dir' | 'osv-zip' | 'osv-tar' | 'osv-json' | 'osv-yaml';

const RECORD_FILE = /\.(json|ya?ml)$/i;

/** Counts files and bytes against the limits across one import. */
class Budget {
  entries = 0;
  bytes = 0;
  constructor(readonly limits: ImportLimits) {}

  entry(where: string): void {
    if (++this.entries > this.limits.maxEntries)
      throw new VulnDbError(
        'INPUT_TOO_LARGE',
        `${where}: more than ${this.limits.maxEntries} files in one import (limit maxEntries)`,
      );
  }

  take(where: string, n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxTotalBytes)
      throw new VulnDbError(
        'INPUT_TOO_LARGE',
        `${where}: more than ${this.limits.maxTotalBytes} bytes in one import (limit maxTotalBytes)`,
      );
  }
}

/** Collects the records of one path. */
class Collector {
  readonly records: OsvRecord[] = [];
  readonly invalid: InvalidRecord[] = [];
  constructor(readonly logger: Logger) {}

  reject(where: string, reason: string, id?: string): void {
    this.invalid.push(id === undefined ? { where, reason } : { where, id, reason });
    this.logger.debug('skipping invalid OSV record', { where, reason, ...(id === undefined ? {} : { id }) });
  }

  /** Parses one file's content: JSON (a record or an array of them) or YAML (one record). */
  add(where: string, content: Buffer): void {
    let parsed: unknown;
    try {
      const text = content.toString('utf8');
      parsed = /\.ya?ml$/i.test(where) ? parseYaml(text) : (JSON.parse(text) as unknown);
    } catch (err) {
      this.reject(where, `not ${/\.ya?ml$/i.test(where) ? 'YAML' : 'JSON'}: ${errorMessage(err)}`);
      return;
    }
    const items = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    for (const item of items) {
      const r = safeParseOsvRecord(item);
      if (r.ok) this.records.push(r.record);
      else this.reject(where, r.reason, r.id);
    }
  }
}

function oversize(size: number, limits: ImportLimits): string | undefined {
  return size > limits.maxRecordBytes
    ? `${size} bytes, over the limit of ${limits.maxRecordBytes} for one record file (maxRecordBytes)`
    : undefined;
}

async function readFileRecord(file: string, where: string, out: Collector, budget: Budget): Promise<void> {
  budget.entry(where);
  const size = (await stat(file)).size;
  const tooBig = oversize(size, budget.limits);
  if (tooBig !== undefined) {
    out.reject(where, tooBig);
    return;
  }
  budget.take(where, size);
  out.add(where, await readFile(file));
}

async function readDirectory(dir: string, out: Collector, budget: Budget): Promise<void> {
  const names = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile() && RECORD_FILE.test(d.name) && !d.name.startsWith('.'))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
  for (const file of names) await readFileRecord(file, file, out, budget);
}

async function readZip(file: string, out: Collector, budget: Budget): Promise<void> {
  // The central directory is at the end, so the archive is read whole (OSV's largest
  // per-ecosystem all.zip is a few hundred MiB); the byte budget bounds it.
  const size = (await stat(file)).size;
  if (size > budget.limits.maxTotalBytes)
    throw new VulnDbError(
      'INPUT_TOO_LARGE',
      `${file}: ${size} bytes, over the limit of ${budget.limits.maxTotalBytes} for one import (maxTotalBytes)`,
    );
  const buf = await readFile(file);
  try {
    const dir = readZipDirectory(
      buf,
      (name) => RECORD_FILE.test(name) && !name.endsWith('/'),
      budget.limits.maxEntries,
    );
    for (const entry of dir.entries) {
      const where = `${file}!${entry.name}`;
      budget.entry(where);
      const tooBig = oversize(entry.size, budget.limits);
      if (tooBig !== undefined) {
        out.reject(where, tooBig);
        continue;
      }
      budget.take(where, entry.size);
      out.add(where, readZipEntry(buf, dir, entry, budget.limits.maxRecordBytes));
    }
  } catch (err) {
    if (err instanceof VulnDbError) throw err;
    throw new VulnDbError('INPUT_INVALID', `${file}: not a readable zip archive: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

async function readTarGz(file: string, out: Collector, budget: Budget): Promise<void> {
  const extract = tar.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const where = `${file}!${entry.header.name}`;
      const wanted = entry.header.type === 'file' && RECORD_FILE.test(entry.header.name);
      if (!wanted) {
        entry.resume();
        continue;
      }
      budget.entry(where);
      const declared = entry.header.size;
      const tooBig = oversize(declared, budget.limits);
      if (tooBig !== undefined) {
        entry.resume();
        out.reject(where, tooBig);
        continue;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        size += chunk.length;
        budget.take(where, chunk.length);
        chunks.push(chunk);
      }
      if (size > budget.limits.maxRecordBytes) out.reject(where, oversize(size, budget.limits) ?? '');
      else out.add(where, Buffer.concat(chunks, size));
    }
  })();
  try {
    await Promise.all([pipeline(createReadStream(file), createGunzip(), extract), consume]);
  } catch (err) {
    extract.destroy();
    await consume.catch(() => undefined);
    if (err instanceof VulnDbError) throw err;
    throw new VulnDbError('INPUT_INVALID', `${file}: not a readable .tar.gz archive: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** What kind of input a path is, from its type and name. */
async function kindOf(p: string): Promise<SourceKind> {
  let info;
  try {
    info = await stat(p);
  } catch (err) {
    throw new VulnDbError('INPUT_INVALID', `cannot read ${p}: ${errorMessage(err)}`, { cause: err });
  }
  if (info.isDirectory()) return 'osv-dir';
  const lower = p.toLowerCase();
  if (lower.endsWith('.zip')) return 'osv-zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'osv-tar';
  if (lower.endsWith('.json')) return 'osv-json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'osv-yaml';
  throw new VulnDbError(
    'INPUT_INVALID',
    `${p}: expected a directory, .zip, .tar.gz, .json or .yaml file of OSV records`,
  );
}

function defaultSourceName(p: string): string {
  return path.basename(p).replace(/(\.tar)?\.(gz|tgz|zip|json|ya?ml)$/i, '') || p;
}

/** The valid records of one path and the invalid ones, without touching any database. */
export async function readOsvPath(
  p: string,
  options: Pick<ImportOptions, 'logger' | 'limits'> = {},
): Promise<{ kind: SourceKind; records: OsvRecord[]; invalid: InvalidRecord[] }> {
  const limits = { ...DEFAULT_IMPORT_LIMITS, ...options.limits };
  return readOne(path.resolve(p), new Budget(limits), options.logger ?? silentLogger);
}

async function readOne(
  p: string,
  budget: Budget,
  logger: Logger,
): Promise<{ kind: SourceKind; records: OsvRecord[]; invalid: InvalidRecord[] }> {
  const kind = await kindOf(p);
  const out = new Collector(logger);
  switch (kind) {
    case 'osv-dir':
      await readDirectory(p, out, budget);
      break;
    case 'osv-zip':
      await readZip(p, out, budget);
      break;
    case 'osv-tar':
      await readTarGz(p, out, budget);
      break;
    case 'osv-json':
    case 'osv-yaml':
      await readFileRecord(p, p, out, budget);
      break;
  }
  return { kind, records: out.records, invalid: out.invalid };
}

/**
 * Imports OSV records from files, directories, `.zip` and `.tar.gz` archives into `db`: all
 * paths are read and validated first, then written in one transaction. Invalid records are
 * reported and skipped; a record already stored with the same or a later `modified` is skipped.
 * @throws VulnDbError INPUT_INVALID for a missing path, an unknown file type or a corrupt
 *   archive, INPUT_TOO_LARGE when a cap is passed, DB_FAILED when SQLite fails; in every case
 *   the database is left as it was.
 */
export async function importPaths(
  db: VulnDb,
  paths: readonly string[],
  options: ImportOptions = {},
): Promise<ImportReport> {
  const logger = options.logger ?? silentLogger;
  const budget = new Budget({ ...DEFAULT_IMPORT_LIMITS, ...options.limits });
  const batches: { records: OsvRecord[]; source: VulnSource }[] = [];
  const invalid: InvalidRecord[] = [];
  for (const p of paths) {
    const resolved = path.resolve(p);
    const read = await readOne(resolved, budget, logger);
    const name =
      options.sourceName !== undefined && paths.length === 1
        ? options.sourceName
        : defaultSourceName(resolved);
    batches.push({ records: read.records, source: { name, kind: read.kind, location: resolved } });
    invalid.push(...read.invalid);
    logger.info('read OSV records', {
      path: resolved,
      records: read.records.length,
      invalid: read.invalid.length,
    });
  }
  const counts = db.importBatches(batches);
  const sources = batches.map((b, i): SourceReport => {
    const c = counts[i] ?? { inserted: 0, updated: 0, unchanged: 0 };
    return { source: b.source, records: b.records.length, ...c };
  });
  const imported = sources.reduce((n, s) => n + s.inserted + s.updated, 0);
  const skipped = sources.reduce((n, s) => n + s.unchanged, 0);
  if (invalid.length > 0) logger.warn('skipped invalid OSV records', { count: invalid.length });
  return { imported, skipped, invalid, sources };
}
