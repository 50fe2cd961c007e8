// The dpkg analyzer: installed Debian packages from var/lib/dpkg/status and (distroless)
// var/lib/dpkg/status.d/*, with their owned files (info/<pkg>[:arch].list, or the status.d
// file's .md5sums) and licenses (DEP-5 copyright files).
import { toPurl } from '../purl.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult, InventoryGap, Package } from '../types.js';
import { parseCopyrightLicenses } from './copyright.js';
import { parseDpkgDatabase, type DpkgRecord } from './status.js';

const ID = 'dpkg';
export const DPKG_STATUS = 'var/lib/dpkg/status';
const STATUS_D = 'var/lib/dpkg/status.d/';
const INFO = 'var/lib/dpkg/info/';
const COPYRIGHT = /^usr\/share\/doc\/[^/]+\/copyright$/;

/** A direct child of `dir` (no deeper path). */
function childOf(path: string, dir: string): string | undefined {
  if (!path.startsWith(dir)) return undefined;
  const rest = path.slice(dir.length);
  return rest === '' || rest.includes('/') ? undefined : rest;
}

function wants(path: string): boolean {
  if (path === DPKG_STATUS) return true;
  if (childOf(path, STATUS_D) !== undefined) return true;
  if (childOf(path, INFO)?.endsWith('.list') === true) return true;
  return COPYRIGHT.test(path);
}

/** Image paths from a .list file (absolute) or an .md5sums file (`<md5>  <relative path>`). */
function ownedPaths(ctx: AnalyzerContext, listed: readonly string[]): string[] | undefined {
  const files: string[] = [];
  for (const raw of listed) {
    const path = raw.replace(/^\/+/, '');
    if (path === '' || path === '.') continue;
    // Directories (and symlinks to them, `bin -> usr/bin`) are shared between packages and are
    // never a language package's manifest; files keep the name dpkg gives them.
    if (ctx.tree.resolve(path)?.type === 'dir') continue;
    files.push(path);
  }
  return files.length === 0 ? undefined : files;
}

function lines(content: Buffer | undefined): string[] | undefined {
  if (content === undefined) return undefined;
  return content
    .toString('utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '');
}

function listFiles(ctx: AnalyzerContext, r: DpkgRecord): string[] | undefined {
  // Multi-Arch: same packages have an arch-qualified list (libc6:amd64.list) since dpkg 1.16.
  const list =
    (r.arch === undefined ? undefined : ctx.read(`${INFO}${r.name}:${r.arch}.list`)) ??
    ctx.read(`${INFO}${r.name}.list`);
  const listed = lines(list);
  return listed === undefined ? undefined : ownedPaths(ctx, listed);
}

function md5sumFiles(ctx: AnalyzerContext, statusFile: string): string[] | undefined {
  const listed = lines(ctx.read(`${statusFile}.md5sums`));
  if (listed === undefined) return undefined;
  return ownedPaths(
    ctx,
    listed.map((l) => l.replace(/^[0-9a-f]+\s+/i, '')),
  );
}

function analyze(ctx: AnalyzerContext): AnalyzerResult {
  const packages: Package[] = [];
  const gaps: InventoryGap[] = [];
  const warnings: string[] = [];
  const licenseCache = new Map<string, string[]>();
  const licensesOf = (name: string): string[] => {
    let found = licenseCache.get(name);
    if (found === undefined) {
      const text = ctx.read(`usr/share/doc/${name}/copyright`)?.toString('utf8');
      found = text === undefined ? [] : parseCopyrightLicenses(text);
      licenseCache.set(name, found);
    }
    return found;
  };

  const databases = ctx.paths.filter(
    (p) => p === DPKG_STATUS || (p.startsWith(STATUS_D) && !p.endsWith('.md5sums')),
  );
  for (const path of databases) {
    const content = ctx.read(path);
    if (content === undefined) {
      // Present but unreadable: a dangling symlink, or content the reader could not keep.
      gaps.push({
        analyzer: ID,
        path,
        reason: 'the file is listed in the image but its content could not be read',
      });
      continue;
    }
    const isStatus = path === DPKG_STATUS;
    const db = parseDpkgDatabase(content.toString('utf8'), { withStatus: isStatus });
    for (const p of db.problems) {
      if (p.lost) gaps.push({ analyzer: ID, path, reason: p.message });
      else warnings.push(`${path}: ${p.message}`);
    }
    const location = ctx.location(path);
    // A status.d file usually holds one package, and its .md5sums lists that package's files.
    const statusDFiles = !isStatus && db.records.length === 1 ? md5sumFiles(ctx, path) : undefined;
    for (const r of db.records) {
      const files = isStatus ? listFiles(ctx, r) : statusDFiles;
      const fields = {
        type: 'deb' as const,
        name: r.name,
        version: r.version,
        ...(r.arch === undefined ? {} : { arch: r.arch }),
      };
      packages.push({
        ...fields,
        purl: toPurl(fields, ctx.os),
        source: { name: r.source.name, version: r.source.version },
        licenses: licensesOf(r.name),
        location,
        ...(files === undefined ? {} : { files }),
      });
    }
  }
  return { packages, gaps, warnings };
}

/** Installed Debian packages (dpkg status, distroless status.d). */
export const dpkgAnalyzer: Analyzer = { id: ID, wants, analyze };
