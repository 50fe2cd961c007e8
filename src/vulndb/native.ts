// `db import` takes whatever a user points it at: OSV (files, directories, zips, tarballs) and
// the two native feeds Portcullis converts itself. This module tells them apart by content (not
// by file name alone) and sends each to its reader.
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, silentLogger, type Logger } from '../core/index.js';
import { VulnDbError } from './errors.js';
import { alpineSecdbToOsv, parseAlpineSecdb, type AlpineSecdb } from './feeds/alpine.js';
import { parseDebianList } from './feeds/debian.js';
import { importPaths, type ImportReport } from './import.js';
import type { VulnDb } from './store.js';

export type FeedKind = 'osv' | 'alpine-secdb' | 'debian-list';

export type FeedImportReport = {
  readonly path: string;
  readonly kind: FeedKind;
  readonly imported: number;
  readonly skipped: number;
  readonly invalid: number;
  readonly warnings: readonly string[];
};

const HEAD_BYTES = 4096;
// A Debian tracker list starts with an advisory header line: `[29 Mar 2023] DSA-5380-1 pkg - …`.
const DEBIAN_HEADER = /^\[\d{1,2} [A-Z][a-z]{2} \d{4}\] D[SL]A-\d+/m;

async function head(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** What kind of feed a file holds, judged from its first bytes. Directories and archives are OSV. */
export async function detectFeed(file: string): Promise<FeedKind> {
  const s = await stat(file);
  if (!s.isFile() || /\.(zip|tar\.gz|tgz)$/i.test(file)) return 'osv';
  const text = await head(file);
  if (DEBIAN_HEADER.test(text)) return 'debian-list';
  // secdb files name the release and list packages with their secfixes.
  if (/(^|["\s])distroversion["\s]*:/m.test(text) && /(^|["\s])packages["\s]*:/m.test(text))
    return 'alpine-secdb';
  return 'osv';
}

/** Files of a directory that are Alpine secdb documents (a mirror of secdb's vX.Y/*.yaml|json). */
async function secdbFilesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.(ya?ml|json)$/i.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await detectFeed(file)) === 'alpine-secdb') out.push(file);
  }
  return out.sort();
}

async function readSecdb(file: string): Promise<AlpineSecdb> {
  const text = await readFile(file, 'utf8');
  return parseAlpineSecdb(text, file);
}

/**
 * Imports each path as the feed it holds: Debian DSA/DLA lists and Alpine secdb files (or
 * directories of them) are converted to OSV; everything else goes to the OSV importer. Each
 * feed is written in one transaction, so a failure never leaves it half-imported.
 * @throws VulnDbError INPUT_INVALID naming the path when a native feed cannot be read.
 */
export async function importFeeds(
  db: VulnDb,
  paths: readonly string[],
  options: { readonly logger?: Logger } = {},
): Promise<FeedImportReport[]> {
  const logger = options.logger ?? silentLogger;
  const reports: FeedImportReport[] = [];
  const osv: string[] = [];
  for (const p of paths) {
    const resolved = path.resolve(p);
    try {
      const s = await stat(resolved);
      const secdbs = s.isDirectory() ? await secdbFilesIn(resolved) : [];
      const kind: FeedKind = s.isDirectory()
        ? secdbs.length > 0
          ? 'alpine-secdb'
          : 'osv'
        : await detectFeed(resolved);
      if (kind === 'debian-list') {
        const text = await readFile(resolved, 'utf8');
        const source =
          /DLA/.test(path.basename(resolved)) || /\] DLA-/.test(text.slice(0, HEAD_BYTES))
            ? 'DLA/list'
            : 'DSA/list';
        // The list carries dates per advisory, not per edit: the file's time makes a changed list win.
        const result = parseDebianList(text, source, { modified: s.mtime.toISOString() });
        const counts = db.importRecords(result.records, {
          name: `debian-${source.slice(0, 3).toLowerCase()}-list`,
          kind: 'debian-list',
          location: resolved,
        });
        reports.push({
          path: resolved,
          kind,
          imported: counts.inserted + counts.updated,
          skipped: counts.unchanged,
          invalid: 0,
          warnings: result.warnings.map((w) => `line ${w.line}: ${w.message}`),
        });
      } else if (kind === 'alpine-secdb') {
        const files = s.isDirectory() ? secdbs : [resolved];
        const dbs = await Promise.all(files.map(readSecdb));
        // secdb has no dates: the newest file time makes a changed secdb replace what is stored.
        const times = await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs));
        const records = alpineSecdbToOsv(dbs, { modified: new Date(Math.max(...times)).toISOString() });
        const counts = db.importRecords(records, {
          name: `alpine-secdb:${resolved}`,
          kind: 'alpine-secdb',
          location: resolved,
        });
        reports.push({
          path: resolved,
          kind,
          imported: counts.inserted + counts.updated,
          skipped: counts.unchanged,
          invalid: 0,
          warnings: [],
        });
      } else {
        osv.push(resolved);
      }
    } catch (err) {
      if (err instanceof VulnDbError) throw err;
      throw new VulnDbError('INPUT_INVALID', `cannot import ${resolved}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  if (osv.length > 0) {
    const report: ImportReport = await importPaths(db, osv, { logger });
    for (const src of report.sources) {
      const invalid = report.invalid.filter((i) => i.where.startsWith(src.source.location)).length;
      reports.push({
        path: src.source.location,
        kind: 'osv',
        imported: src.inserted + src.updated,
        skipped: src.unchanged,
        invalid,
        warnings: [],
      });
    }
    for (const inv of report.invalid) logger.warn(`invalid OSV record skipped: ${inv.where}: ${inv.reason}`);
  }
  return reports;
}
