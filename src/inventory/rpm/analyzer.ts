// The rpm analyzer: finds rpm's package database in the image, reads its header blobs with the
// reader for its format, and turns each header into a Package. rpm keeps its database in
// %_dbpath: /var/lib/rpm, or /usr/lib/sysimage/rpm on Fedora ≥ 36 and SUSE (where /var/lib/rpm
// is often a symlink to it). One directory holds one database; when a migration left several
// formats side by side, rpm uses its configured backend, which is the newest format
// (sqlite > ndb > bdb), so that one is read and the others are named in a warning.
import { errorMessage, imagePathBase, imagePathDir, joinImagePath } from '../../core/index.js';
import { toPurl } from '../purl.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult, InventoryGap, Package } from '../types.js';
import { readBerkeleyDbPackages } from './bdb.js';
import { parseRpmHeader } from './header.js';
import { readNdbPackages } from './ndb.js';
import { formatRpmEvr, parseSourceRpm, readRpmPackageInfo, type RpmPackageInfo } from './package.js';
import type { RpmDbContents } from './records.js';
import { readSqlitePackages } from './sqlite.js';

/** The database formats, by file name, in the order rpm prefers them. */
const DB_FILES = [
  { name: 'rpmdb.sqlite', format: 'sqlite' },
  { name: 'Packages.db', format: 'ndb' },
  { name: 'Packages', format: 'bdb' },
] as const;
type DbFormat = (typeof DB_FILES)[number]['format'];

const FORMAT_LABELS: Readonly<Record<DbFormat, string>> = {
  sqlite: 'SQLite rpmdb.sqlite',
  ndb: 'ndb Packages.db',
  bdb: 'Berkeley DB Packages',
};

const DB_DIRS = ['var/lib/rpm', 'usr/lib/sysimage/rpm'] as const;
const WAL_SUFFIX = '-wal';

const DB_PATHS: readonly string[] = DB_DIRS.flatMap((dir) => DB_FILES.map((f) => joinImagePath(dir, f.name)));
const WANTED: ReadonlySet<string> = new Set([
  ...DB_PATHS,
  ...DB_DIRS.map((dir) => joinImagePath(dir, `rpmdb.sqlite${WAL_SUFFIX}`)),
]);

/** More unreadable headers than this in one database are summarized in one last gap. */
const MAX_GAPS_PER_DB = 20;

type FoundDb = {
  /** The path it was asked for under (one of the wanted paths). */
  readonly path: string;
  /** The path of the file itself, after symlinks. */
  readonly real: string;
  readonly format: DbFormat;
};

function formatOf(path: string): DbFormat | undefined {
  const base = imagePathBase(path);
  return DB_FILES.find((f) => f.name === base)?.format;
}

/** The databases to read: each file once (whichever path reached it), one per directory. */
function chooseDatabases(ctx: AnalyzerContext): { dbs: FoundDb[]; warnings: string[] } {
  const byReal = new Map<string, FoundDb>();
  // The well-known paths are tried too: when a directory on the way is a symlink
  // (var/lib/rpm -> ../../usr/lib/sysimage/rpm) the file is listed only under its real path.
  for (const path of new Set([...ctx.paths, ...DB_PATHS])) {
    const format = formatOf(path);
    if (format === undefined) continue;
    const entry = ctx.tree.resolve(path);
    if (entry === undefined || entry.type === 'dir') continue;
    const real = entry.path;
    const seen = byReal.get(real);
    // Prefer the path the file really has, so the location names the file itself.
    if (seen === undefined || path === real) byReal.set(real, { path, real, format });
  }
  const byDir = new Map<string, FoundDb[]>();
  for (const db of byReal.values()) {
    const dir = imagePathDir(db.real);
    byDir.set(dir, [...(byDir.get(dir) ?? []), db]);
  }
  const dbs: FoundDb[] = [];
  const warnings: string[] = [];
  for (const group of byDir.values()) {
    const rank = (db: FoundDb): number => DB_FILES.findIndex((f) => f.format === db.format);
    const [chosen, ...others] = group.sort((a, b) => rank(a) - rank(b));
    if (chosen === undefined) continue;
    dbs.push(chosen);
    for (const other of others) {
      warnings.push(
        `${other.path} (${FORMAT_LABELS[other.format]}) ignored: rpm reads the ${FORMAT_LABELS[chosen.format]} beside it`,
      );
    }
  }
  dbs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { dbs, warnings };
}

async function readDatabase(ctx: AnalyzerContext, db: FoundDb, content: Buffer): Promise<RpmDbContents> {
  switch (db.format) {
    case 'sqlite':
      return readSqlitePackages(content, { wal: ctx.read(`${db.path}${WAL_SUFFIX}`) });
    case 'ndb':
      return readNdbPackages(content);
    case 'bdb':
      return readBerkeleyDbPackages(content);
  }
}

/**
 * Owned files as image paths (rpm's names are absolute; image paths carry no leading slash),
 * without what is a directory in the image (a symlink to one, such as filesystem's /bin).
 */
function ownedFiles(ctx: AnalyzerContext, info: RpmPackageInfo): string[] {
  return info.files
    .map((f) => f.replace(/^\/+/, ''))
    .filter((f) => f !== '' && ctx.tree.resolve(f)?.type !== 'dir');
}

function toPackage(ctx: AnalyzerContext, db: FoundDb, info: RpmPackageInfo): Package {
  const version = formatRpmEvr(info);
  const metadata: Record<string, string> = { version: info.version, release: info.release };
  if (info.epoch !== undefined) metadata['epoch'] = String(info.epoch);
  if (info.vendor !== undefined) metadata['vendor'] = info.vendor;
  if (info.modularityLabel !== undefined) metadata['modularitylabel'] = info.modularityLabel;
  if (info.sourceRpm !== undefined) metadata['sourceRpm'] = info.sourceRpm;
  const source = info.sourceRpm === undefined ? undefined : parseSourceRpm(info.sourceRpm);
  const arch = info.arch === undefined ? {} : { arch: info.arch };
  const purl = toPurl({ type: 'rpm', name: info.name, version, ...arch, metadata }, ctx.os);
  return {
    type: 'rpm',
    name: info.name,
    version,
    purl,
    ...arch,
    // The source rpm's file name carries no epoch: its version is VERSION-RELEASE as named.
    ...(source === undefined
      ? {}
      : { source: { name: source.name, version: `${source.version}-${source.release}` } }),
    licenses: info.license === undefined ? [] : [info.license],
    location: ctx.location(db.path),
    files: ownedFiles(ctx, info),
    metadata,
  };
}

async function analyzeDatabase(
  ctx: AnalyzerContext,
  db: FoundDb,
): Promise<{ packages: Package[]; gaps: InventoryGap[] }> {
  const gap = (reason: string): InventoryGap => ({ analyzer: 'rpm', path: db.path, reason });
  const content = ctx.read(db.path);
  if (content === undefined) {
    return {
      packages: [],
      gaps: [gap(`${FORMAT_LABELS[db.format]} could not be read (not a regular file, or too large)`)],
    };
  }
  let contents: RpmDbContents;
  try {
    contents = await readDatabase(ctx, db, content);
  } catch (err) {
    return { packages: [], gaps: [gap(`${FORMAT_LABELS[db.format]} not read: ${errorMessage(err)}`)] };
  }
  const problems = contents.problems.map((p) => `${FORMAT_LABELS[db.format]}: ${p}`);
  const packages: Package[] = [];
  for (const record of contents.records) {
    try {
      packages.push(toPackage(ctx, db, readRpmPackageInfo(parseRpmHeader(record.blob))));
    } catch (err) {
      problems.push(`package header ${record.instance} skipped: ${errorMessage(err)}`);
    }
  }
  const gaps = problems.slice(0, MAX_GAPS_PER_DB).map(gap);
  if (problems.length > MAX_GAPS_PER_DB) {
    gaps.push(gap(`${problems.length - MAX_GAPS_PER_DB} more unreadable records in this database`));
  }
  return { packages, gaps };
}

async function analyzeRpm(ctx: AnalyzerContext): Promise<AnalyzerResult> {
  const { dbs, warnings } = chooseDatabases(ctx);
  const packages: Package[] = [];
  const gaps: InventoryGap[] = [];
  for (const db of dbs) {
    const result = await analyzeDatabase(ctx, db);
    packages.push(...result.packages);
    gaps.push(...result.gaps);
  }
  return { packages, gaps, warnings };
}

/**
 * Installed rpm packages, from rpm's database in any of its formats: SQLite (`rpmdb.sqlite`,
 * with its write-ahead log), ndb (`Packages.db`) and Berkeley DB (`Packages`, either byte
 * order), under /var/lib/rpm or /usr/lib/sysimage/rpm. A database or header that cannot be read
 * is reported as an InventoryGap naming the file and the reason, never skipped silently.
 */
export const rpmAnalyzer: Analyzer = {
  id: 'rpm',
  wants: (path) => WANTED.has(path),
  analyze: analyzeRpm,
};
