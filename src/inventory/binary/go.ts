// The Go binary analyzer: every executable ELF file in the image is summarized by its embedded
// build info (gobuildinfo.ts) as it streams past, and each Go program becomes packages: the
// standard library it was built with, its main module and every module it was linked with.
import { toPurl } from '../purl.js';
import type {
  Analyzer,
  AnalyzerContext,
  AnalyzerResult,
  InventoryGap,
  Package,
  PackageLocation,
} from '../types.js';
import { readGoBuildInfo, type GoBinarySummary, type GoBuildInfo, type GoModule } from './gobuildinfo.js';

const ID = 'go-binary';
// Smaller files cannot be Go programs (the runtime alone is far larger); skipping them spares
// buffering every tiny script with an executable bit.
const MIN_BYTES = 4096;
/** The name under which the standard library is reported, as Trivy and OSV's Go ecosystem call it. */
export const GO_STDLIB = 'stdlib';

// Build settings worth keeping with the main module. Flags such as -ldflags and CGO_*FLAGS are
// left out: they can carry paths and even secrets passed with -X.
const KEPT_SETTINGS = [
  'GOOS',
  'GOARCH',
  'CGO_ENABLED',
  '-buildmode',
  '-compiler',
  '-tags',
  '-trimpath',
  'vcs',
  'vcs.revision',
  'vcs.time',
  'vcs.modified',
];

/**
 * The standard library's version in module form: `go1.21.3` → `v1.21.3`, `go1.20` → `v1.20.0`,
 * `go1.21rc2` → `v1.21.0-rc.2`; a GOEXPERIMENT suffix (` X:boringcrypto`) is dropped. This is
 * how Trivy reports `pkg:golang/stdlib` and how the Go vulnerability database (OSV) versions
 * the stdlib module. Undefined for development toolchains (`devel go1.23-abc…`).
 */
export function goStdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?(?:\s|$)/.exec(goVersion);
  if (!m) return undefined;
  const [, major, minor, patch, pre, n] = m;
  const base = `v${major ?? ''}.${minor ?? ''}.${patch ?? '0'}`;
  return pre === undefined ? base : `${base}-${pre}.${n ?? ''}`;
}

/** Local-directory replacements (`=> ../fork`) name no module and have no version. */
function isLocalPath(path: string): boolean {
  return (
    path.startsWith('./') || path.startsWith('../') || path.startsWith('/') || path === '.' || path === '..'
  );
}

function goPackage(
  name: string,
  version: string,
  location: PackageLocation,
  metadata: Record<string, string>,
): Package {
  // `(devel)` is how Go marks a main module built from a work tree: no released version, so the
  // purl has none either.
  const purlVersion = version === '(devel)' ? '' : version;
  return {
    type: 'golang',
    name,
    version,
    purl: toPurl({ type: 'golang', name, version: purlVersion }),
    licenses: [],
    location,
    metadata,
  };
}

/**
 * A module as the binary really contains it: a replacement by another module is reported as
 * that module (its code is what was linked), with the original in `replaces`; a replacement by
 * a local directory keeps the original path and version, with the directory in `replace`.
 */
function modulePackage(mod: GoModule, location: PackageLocation, extra: Record<string, string>): Package {
  const r = mod.replace;
  if (r === undefined) {
    return goPackage(mod.path, mod.version, location, {
      ...extra,
      ...(mod.sum === undefined ? {} : { sum: mod.sum }),
    });
  }
  if (isLocalPath(r.path) || r.version === '' || r.version === '(devel)') {
    return goPackage(mod.path, mod.version, location, { ...extra, replace: r.path });
  }
  return goPackage(r.path, r.version, location, {
    ...extra,
    replaces: `${mod.path}@${mod.version}`,
    ...(r.sum === undefined ? {} : { sum: r.sum }),
  });
}

/** Packages of one Go binary: stdlib, main module, dependencies. */
export function goPackages(info: GoBuildInfo, location: PackageLocation): Package[] {
  const goVersion = info.goVersion;
  const out: Package[] = [];
  const stdlib = goStdlibVersion(goVersion);
  if (stdlib !== undefined) out.push(goPackage(GO_STDLIB, stdlib, location, { goVersion }));
  if (info.main !== undefined && info.main.path !== '') {
    const settings: Record<string, string> = {};
    for (const key of KEPT_SETTINGS) {
      const value = info.settings[key];
      if (value !== undefined) settings[key] = value;
    }
    out.push(
      modulePackage(info.main, location, {
        goVersion,
        main: 'true',
        ...(info.path === undefined ? {} : { mainPackage: info.path }),
        ...settings,
      }),
    );
  }
  for (const dep of info.deps) {
    if (dep.path !== '') out.push(modulePackage(dep, location, { goVersion }));
  }
  return out;
}

function analyze(ctx: AnalyzerContext): AnalyzerResult {
  const packages: Package[] = [];
  const gaps: InventoryGap[] = [];
  for (const path of ctx.paths) {
    // The runner hands back exactly what this analyzer's reducer returned for the file.
    const summary = ctx.summary(path) as GoBinarySummary | undefined;
    if (summary === undefined) continue;
    switch (summary.kind) {
      case 'go':
        packages.push(...goPackages(summary.info, ctx.location(path)));
        break;
      case 'unsupported':
      case 'invalid':
        gaps.push({ analyzer: ID, path, reason: summary.reason });
        break;
    }
  }
  return { packages, gaps };
}

/** Go programs: stdlib, main module and dependencies from the build info of executable ELF files (Go ≥ 1.18). */
export const goBinaryAnalyzer: Analyzer = {
  id: ID,
  summarize: (_path, meta) =>
    (meta.mode & 0o111) !== 0 && meta.size >= MIN_BYTES ? readGoBuildInfo : undefined,
  analyze,
};
