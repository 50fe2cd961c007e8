// `db update`: download each ecosystem's `all.zip` from an OSV bucket mirror
// (`<baseUrl>/<ecosystem>/all.zip`, the layout of gs://osv-vulnerabilities) and import it.
//
// - Conditional requests: the ETag and Last-Modified of the last import of each ecosystem are
//   kept in the database's sources table (source `osv-<ecosystem>`) and sent back as
//   If-None-Match / If-Modified-Since; a 304 means nothing to download.
// - Resume: a download is written to `<cacheDir>/<ecosystem>.zip.part` with its validators in
//   `.part.json`; a cut connection is retried with `Range: bytes=<have>-` and `If-Range`, within
//   this update and by the next one.
// - Atomic: imports go into a copy of the current database beside it; the copy replaces the
//   database (one rename) only when every ecosystem downloaded and imported. A failed, corrupt
//   or interrupted update leaves the previous database as it was.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  PortcullisError,
  defaultCacheDir,
  errorMessage,
  silentLogger,
  truncateForMessage,
  writeFileAtomic,
  type Logger,
} from '../core/index.js';
import {
  openVulnDb,
  replaceDatabaseAtomically,
  type ImportCounts,
  type VulnDb,
  type VulnSource,
} from './store.js';
import { readOsvPath } from './import.js';

export const DEFAULT_OSV_BASE_URL = 'https://osv-vulnerabilities.storage.googleapis.com';

export type UpdateErrorCode =
  /** A download failed (network, timeout, HTTP status) after its retries. */
  | 'UPDATE_DOWNLOAD_FAILED'
  /** A downloaded archive is not a zip archive or could not be imported. */
  | 'UPDATE_ARCHIVE_INVALID'
  /** Another update of the same database is running. */
  | 'UPDATE_LOCKED';

/** Errors of `updateDatabase`; the previous database is unchanged whenever one is thrown. */
export class UpdateError extends PortcullisError<UpdateErrorCode> {}

/** Imports one downloaded OSV zip into `db` under `source`. */
export type ZipImporter = (
  db: VulnDb,
  zipPath: string,
  source: VulnSource,
  logger: Logger,
) => Promise<ImportCounts> | ImportCounts;

/**
 * The default {@link ZipImporter}: the import module's reader (caps, OSV validation), then one
 * transaction under the bucket source with its HTTP validators. Records that fail validation
 * are skipped and logged, as `db import` does; an unreadable archive throws.
 */
export const importOsvZip: ZipImporter = async (db, zipPath, source, logger) => {
  const { records, invalid } = await readOsvPath(zipPath, { logger });
  if (invalid.length > 0) {
    logger.warn('skipped invalid OSV records', { source: source.name, count: invalid.length });
  }
  return db.importRecords(records, source);
};

export type UpdateProgress = {
  readonly ecosystem: string;
  /** Position of this ecosystem in the list (0-based) and the list's length. */
  readonly index: number;
  readonly count: number;
  readonly phase: 'download' | 'unchanged' | 'import' | 'done';
  readonly receivedBytes: number;
  /** From Content-Length / Content-Range, when the server sends it. */
  readonly totalBytes?: number;
};

export type UpdateOptions = {
  readonly dbPath: string;
  /** Default {@link DEFAULT_OSV_BASE_URL}. */
  readonly baseUrl?: string;
  /** OSV ecosystem names as the bucket spells them (`Go`, `PyPI`, `Debian`, `Alpine`). */
  readonly ecosystems: readonly string[];
  /** Default {@link importOsvZip}. */
  readonly importZip?: ZipImporter;
  readonly logger?: Logger;
  readonly onProgress?: (progress: UpdateProgress) => void;
  /** Idle time after which a request is abandoned (and retried); default 60 s. */
  readonly fetchTimeoutMs?: number;
  /** Where partial downloads are kept; default `<cache dir>/vulndb-downloads`. */
  readonly cacheDir?: string;
  /** Attempts per download (resuming after the first); default 4. */
  readonly attempts?: number;
};

export type EcosystemUpdate = {
  readonly ecosystem: string;
  readonly status: 'updated' | 'unchanged';
  readonly bytes: number;
  readonly counts?: ImportCounts;
};

export type UpdateResult = {
  readonly ecosystems: readonly EcosystemUpdate[];
  /** True when a new database file replaced the old one. */
  readonly replaced: boolean;
};

type Validators = { etag?: string; lastModified?: string };
type PartState = Validators & { url: string };

/** The source name under which an ecosystem's bucket archive is recorded. */
export function osvSourceName(ecosystem: string): string {
  return `osv-${ecosystem}`;
}

function safeFileName(ecosystem: string): string {
  return ecosystem.replace(/[^A-Za-z0-9._-]/g, '_');
}

function archiveUrl(baseUrl: string, ecosystem: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(ecosystem)}/all.zip`;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function readPartState(file: string): Promise<PartState | undefined> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (typeof v !== 'object' || !v || typeof (v as { url?: unknown }).url !== 'string') return undefined;
    const o = v as Record<string, unknown>;
    return {
      url: o['url'] as string,
      ...(typeof o['etag'] === 'string' ? { etag: o['etag'] } : {}),
      ...(typeof o['lastModified'] === 'string' ? { lastModified: o['lastModified'] } : {}),
    };
  } catch {
    return undefined;
  }
}

/** One GET; resolves with the response (redirects followed), rejects on network errors. */
function request(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  redirects = 5,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
    if (lib === undefined) {
      reject(new UpdateError('UPDATE_DOWNLOAD_FAILED', `unsupported URL ${truncateForMessage(url)}`));
      return;
    }
    const req = lib.get(u, { headers: { 'user-agent': 'portcullis', ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && status !== 304 && location !== undefined) {
        res.resume();
        if (redirects === 0) {
          reject(new UpdateError('UPDATE_DOWNLOAD_FAILED', `too many redirects from ${url}`));
          return;
        }
        request(new URL(location, u).toString(), headers, timeoutMs, redirects - 1).then(resolve, reject);
        return;
      }
      res.setTimeout(timeoutMs, () => res.destroy(new Error(`no data for ${timeoutMs} ms`)));
      resolve(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

type DownloadOutcome =
  { kind: 'unchanged' } | { kind: 'downloaded'; file: string; bytes: number; validators: Validators };

/**
 * Downloads `url` to `<part>` (resuming what is there) and renames it to `<zip>`.
 * @throws UpdateError UPDATE_DOWNLOAD_FAILED after `attempts` failures.
 */
async function download(
  url: string,
  stored: Validators,
  files: { part: string; state: string; zip: string },
  opts: {
    timeoutMs: number;
    attempts: number;
    logger: Logger;
    progress: (received: number, total?: number) => void;
  },
): Promise<DownloadOutcome> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const state = await readPartState(files.state);
    let have = state?.url === url ? await sizeOf(files.part) : 0;
    const headers: Record<string, string> = {};
    if (have > 0 && state !== undefined && (state.etag ?? state.lastModified) !== undefined) {
      headers['range'] = `bytes=${have}-`;
      headers['if-range'] = state.etag ?? state.lastModified ?? '';
    } else {
      have = 0;
      if (stored.etag !== undefined) headers['if-none-match'] = stored.etag;
      if (stored.lastModified !== undefined) headers['if-modified-since'] = stored.lastModified;
    }
    try {
      const res = await request(url, headers, opts.timeoutMs);
      const status = res.statusCode ?? 0;
      if (status === 304) {
        res.resume();
        return { kind: 'unchanged' };
      }
      if (status !== 200 && status !== 206) {
        res.resume();
        const err = new UpdateError('UPDATE_DOWNLOAD_FAILED', `GET ${url}: HTTP ${status}`);
        if (status === 416) {
          // The partial file does not fit the resource any more: start over.
          await rm(files.part, { force: true });
          await rm(files.state, { force: true });
          lastError = err;
          continue;
        }
        // Client errors will not change on retry.
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw err;
        lastError = err;
        continue;
      }
      const etag = res.headers.etag;
      const lastModified = res.headers['last-modified'];
      const validators: Validators = {
        ...(etag === undefined ? {} : { etag }),
        ...(lastModified === undefined ? {} : { lastModified }),
      };
      let append = false;
      let total: number | undefined;
      if (status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '') ?? undefined;
        if (m?.[1] === undefined || Number(m[1]) !== have) {
          // Not the range we asked for: start over.
          res.resume();
          await rm(files.part, { force: true });
          await rm(files.state, { force: true });
          lastError = new UpdateError('UPDATE_DOWNLOAD_FAILED', `GET ${url}: unexpected Content-Range`);
          continue;
        }
        append = true;
        total = m[3] === '*' || m[3] === undefined ? undefined : Number(m[3]);
        opts.logger.info('resuming download', { url, from: have });
      } else {
        have = 0;
        const len = res.headers['content-length'];
        total = len === undefined ? undefined : Number(len);
        await mkdir(path.dirname(files.part), { recursive: true });
        await writeFileAtomic(files.state, JSON.stringify({ url, ...validators }));
      }
      let received = have;
      opts.progress(received, total);
      // Chunks are taken from 'data' events as the parser delivers them and written in order
      // (an async iterator or a pipeline drops what it had buffered when the connection is
      // cut), so an interrupted download keeps every byte that arrived, for the Range retry.
      const fh = await open(files.part, append ? 'a' : 'w');
      try {
        received = await new Promise<number>((resolve, reject) => {
          let written = have;
          let queue = Promise.resolve();
          let failed = false;
          const fail = (err: unknown): void => {
            if (failed) return;
            failed = true;
            // Whatever was queued still lands before the caller retries.
            queue.then(() => {
              reject(err instanceof Error ? err : new Error(String(err)));
            }, reject);
          };
          res.on('data', (chunk: Buffer) => {
            res.pause();
            queue = queue.then(async () => {
              await fh.write(chunk);
              written += chunk.length;
              opts.progress(written, total);
              if (!failed) res.resume();
            });
            queue.catch((err: unknown) => {
              fail(err);
              res.destroy();
            });
          });
          res.on('error', fail);
          res.on('close', () => {
            if (!res.complete) fail(new Error('connection closed before the end of the response'));
          });
          res.on('end', () => {
            queue.then(() => {
              resolve(written);
            }, reject);
          });
          // The connection may have gone while the part file was being opened, before these
          // listeners existed: then no event will come, and the buffered data is gone with it.
          if (res.destroyed) fail(new Error('connection closed before the body was read'));
        });
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (total !== undefined && received !== total) {
        throw new Error(`connection closed after ${received} of ${total} bytes`);
      }
      await rename(files.part, files.zip);
      await rm(files.state, { force: true });
      return { kind: 'downloaded', file: files.zip, bytes: received, validators };
    } catch (err) {
      if (err instanceof UpdateError) throw err;
      lastError = err;
      opts.logger.warn('download interrupted', { url, attempt, error: errorMessage(err) });
    }
  }
  throw new UpdateError(
    'UPDATE_DOWNLOAD_FAILED',
    `GET ${url} failed after ${opts.attempts} attempts: ${errorMessage(lastError)}`,
    { cause: lastError },
  );
}

/**
 * Checks a file ends with a zip End Of Central Directory record (APPNOTE 4.3.16), so that a
 * truncated or non-zip download is refused before it reaches the importer.
 * @throws UpdateError UPDATE_ARCHIVE_INVALID
 */
async function checkZipTrailer(file: string, what: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const len = Math.min(size, 22 + 0xffff);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    for (let i = len - 22; i >= 0; i--) {
      if (buf.readUInt32LE(i) === 0x06054b50) return;
    }
  } finally {
    await fh.close();
  }
  throw new UpdateError(
    'UPDATE_ARCHIVE_INVALID',
    `${what} is not a zip archive (no end of central directory)`,
  );
}

/**
 * Updates the database at `dbPath` from an OSV bucket mirror; see the module comment.
 * @throws UpdateError UPDATE_DOWNLOAD_FAILED or UPDATE_ARCHIVE_INVALID, VulnDbError when the
 *   database cannot be opened or written; in every case the previous database is unchanged.
 */
export async function updateDatabase(options: UpdateOptions): Promise<UpdateResult> {
  const lock = `${path.resolve(options.dbPath)}.update.lock`;
  await acquireLock(lock, options.logger ?? silentLogger);
  try {
    return await updateLocked(options);
  } finally {
    await rm(lock, { force: true });
  }
}

/** A lock older than this is left over from a crashed update and is taken over. */
const STALE_LOCK_MS = 2 * 60 * 60 * 1000;

/**
 * Takes the update lock beside the database (two updates at once would each build a copy and
 * the second rename would drop the first's imports, and they share the partial downloads).
 * @throws UpdateError UPDATE_LOCKED while another update holds it.
 */
async function acquireLock(lock: string, logger: Logger): Promise<void> {
  await mkdir(path.dirname(lock), { recursive: true });
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age =
        Date.now() -
        (await stat(lock).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (age < STALE_LOCK_MS) break;
      logger.warn('removing a stale database update lock', { lock, ageMs: age });
      await rm(lock, { force: true });
    }
  }
  throw new UpdateError('UPDATE_LOCKED', `another database update is running (lock ${lock})`);
}

async function updateLocked(options: UpdateOptions): Promise<UpdateResult> {
  const logger = options.logger ?? silentLogger;
  const baseUrl = options.baseUrl ?? DEFAULT_OSV_BASE_URL;
  const cacheDir = options.cacheDir ?? path.join(defaultCacheDir(), 'vulndb-downloads');
  const dbPath = path.resolve(options.dbPath);
  const timeoutMs = options.fetchTimeoutMs ?? 60_000;
  const attempts = options.attempts ?? 4;
  const exists = (await sizeOf(dbPath)) > 0;

  // Validators of the last import of each ecosystem.
  const validators = new Map<string, Validators>();
  if (exists) {
    const current = openVulnDb(dbPath, { readonly: true });
    try {
      for (const s of current.listSources()) {
        validators.set(s.name, {
          ...(s.etag === undefined ? {} : { etag: s.etag }),
          ...(s.lastModified === undefined ? {} : { lastModified: s.lastModified }),
        });
      }
    } finally {
      current.close();
    }
  }

  const count = options.ecosystems.length;
  const downloads: { ecosystem: string; url: string; file: string; bytes: number; validators: Validators }[] =
    [];
  const results: EcosystemUpdate[] = [];
  for (const [index, ecosystem] of options.ecosystems.entries()) {
    const url = archiveUrl(baseUrl, ecosystem);
    const base = path.join(cacheDir, safeFileName(ecosystem));
    const report = (phase: UpdateProgress['phase'], receivedBytes: number, totalBytes?: number): void => {
      options.onProgress?.({
        ecosystem,
        index,
        count,
        phase,
        receivedBytes,
        ...(totalBytes === undefined ? {} : { totalBytes }),
      });
    };
    const outcome = await download(
      url,
      validators.get(osvSourceName(ecosystem)) ?? {},
      { part: `${base}.zip.part`, state: `${base}.zip.part.json`, zip: `${base}.zip` },
      {
        timeoutMs,
        attempts,
        logger,
        progress: (r, t) => {
          report('download', r, t);
        },
      },
    );
    if (outcome.kind === 'unchanged') {
      logger.info('ecosystem unchanged', { ecosystem });
      report('unchanged', 0);
      results.push({ ecosystem, status: 'unchanged', bytes: 0 });
      continue;
    }
    downloads.push({
      ecosystem,
      url,
      file: outcome.file,
      bytes: outcome.bytes,
      validators: outcome.validators,
    });
  }
  if (downloads.length === 0) return { ecosystems: results, replaced: false };

  // Build the new database beside the old one, then swap.
  const temp = path.join(
    path.dirname(dbPath),
    `.tmp-${path.basename(dbPath)}-${randomBytes(6).toString('hex')}`,
  );
  await mkdir(path.dirname(dbPath), { recursive: true });
  try {
    if (exists) {
      // SQLite's online backup, not a file copy: a consistent snapshot even while a scan reads
      // the database, and an error (not a silently torn copy) if a crashed writer left a journal.
      const source = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        await source.backup(temp);
      } finally {
        source.close();
      }
    }
    const db = openVulnDb(temp);
    try {
      for (const d of downloads) {
        const index = options.ecosystems.indexOf(d.ecosystem);
        options.onProgress?.({
          ecosystem: d.ecosystem,
          index,
          count,
          phase: 'import',
          receivedBytes: d.bytes,
        });
        await checkZipTrailer(d.file, d.url);
        let counts: ImportCounts;
        try {
          const source = {
            name: osvSourceName(d.ecosystem),
            kind: 'osv-zip',
            location: d.url,
            ...d.validators,
          };
          counts = await (options.importZip ?? importOsvZip)(db, d.file, source, logger);
        } catch (err) {
          throw new UpdateError('UPDATE_ARCHIVE_INVALID', `cannot import ${d.url}: ${errorMessage(err)}`, {
            cause: err,
          });
        }
        logger.info('ecosystem imported', { ecosystem: d.ecosystem, ...counts });
        options.onProgress?.({ ecosystem: d.ecosystem, index, count, phase: 'done', receivedBytes: d.bytes });
        results.push({ ecosystem: d.ecosystem, status: 'updated', bytes: d.bytes, counts });
      }
    } finally {
      db.close();
    }
    replaceDatabaseAtomically(temp, dbPath);
  } catch (err) {
    await rm(temp, { force: true });
    await rm(`${temp}-journal`, { force: true });
    throw err;
  } finally {
    // A downloaded archive is used once: imported, or refused (a corrupt one must not be resumed).
    for (const d of downloads) await rm(d.file, { force: true });
  }
  const order = new Map(options.ecosystems.map((e, i) => [e, i]));
  results.sort((a, b) => (order.get(a.ecosystem) ?? 0) - (order.get(b.ecosystem) ?? 0));
  return { ecosystems: results, replaced: true };
}
