// The apk analyzer: installed Alpine (and Wolfi/Chainguard) packages from lib/apk/db/installed.
import { toPurl } from '../purl.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult, InventoryGap, Package } from '../types.js';
import { parseApkInstalled } from './installed.js';

const ID = 'apk';
export const APK_INSTALLED = 'lib/apk/db/installed';

function analyze(ctx: AnalyzerContext): AnalyzerResult {
  if (!ctx.paths.includes(APK_INSTALLED)) return { packages: [] };
  const content = ctx.read(APK_INSTALLED);
  if (content === undefined) {
    const reason = 'the file is listed in the image but its content could not be read';
    return { packages: [], gaps: [{ analyzer: ID, path: APK_INSTALLED, reason }] };
  }
  const db = parseApkInstalled(content.toString('utf8'));
  const gaps: InventoryGap[] = [];
  const warnings: string[] = [];
  for (const p of db.problems) {
    if (p.lost) gaps.push({ analyzer: ID, path: APK_INSTALLED, reason: p.message });
    else warnings.push(`${APK_INSTALLED}: ${p.message}`);
  }
  const location = ctx.location(APK_INSTALLED);
  const packages = db.records.map((r): Package => {
    const fields = {
      type: 'apk' as const,
      name: r.name,
      version: r.version,
      ...(r.arch === undefined ? {} : { arch: r.arch }),
    };
    return {
      ...fields,
      purl: toPurl(fields, ctx.os),
      // Every package built from one APKBUILD carries its pkgver-pkgrel, so the origin's version is the package's.
      source: { name: r.origin ?? r.name, version: r.version },
      licenses: r.license === undefined || r.license === '' ? [] : [r.license],
      location,
      ...(r.files.length === 0 ? {} : { files: r.files }),
    };
  });
  return { packages, gaps, warnings };
}

/** Installed apk packages (lib/apk/db/installed). */
export const apkAnalyzer: Analyzer = {
  id: ID,
  wants: (path) => path === APK_INSTALLED,
  analyze,
};
