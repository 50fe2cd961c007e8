// Whether an installed version falls in an OSV `affected` entry, exactly as the OSV schema's
// evaluation section says (https://ossf.github.io/osv-schema/#evaluation): the explicit
// `versions` list, or any ECOSYSTEM/SEMVER range whose events, sorted by version with
// `introduced: "0"` first, leave the version vulnerable and that is below one of its `limit`s.
// GIT ranges need commit graphs and are skipped. A version in the record that the scheme cannot
// parse drops that event (or, for a `limit`, that range) with a warning; nothing here throws.
import type { OsvAffected, OsvEvent, OsvRange } from '../../vulndb/index.js';
import type { VersionScheme } from '../../version/index.js';

/** The outcome of evaluating one affected entry. */
export type AffectedResult = {
  readonly affected: boolean;
  /** The smallest `fixed` above the installed version in the ranges that make it affected. */
  readonly fixedVersion: string | undefined;
  readonly warnings: readonly string[];
};

type Event = { readonly kind: 'introduced' | 'fixed' | 'last_affected' | 'limit'; readonly version: string };

function eventOf(e: OsvEvent): Event | undefined {
  if ('introduced' in e) return { kind: 'introduced', version: e.introduced };
  if ('fixed' in e) return { kind: 'fixed', version: e.fixed };
  if ('last_affected' in e) return { kind: 'last_affected', version: e.last_affected };
  if ('limit' in e) return { kind: 'limit', version: e.limit };
  return undefined;
}

/** A scheme's compare that reports invalid input as undefined instead of throwing. */
function tryCompare(scheme: VersionScheme, a: string, b: string): number | undefined {
  try {
    return scheme.compare(a, b);
  } catch {
    return undefined;
  }
}

function isValid(scheme: VersionScheme, v: string): boolean {
  try {
    return scheme.isValid(v);
  } catch {
    return false;
  }
}

/**
 * Spellings the ecosystem's records use that its scheme reads differently: Go's database writes
 * module versions without the `v` the module system requires.
 */
function normalizeRecordVersion(scheme: VersionScheme, v: string): string {
  if (scheme.id === 'go' && !v.startsWith('v') && !isValid(scheme, v) && isValid(scheme, `v${v}`)) {
    return `v${v}`;
  }
  return v;
}

// `introduced: "0"` is below every version; `limit: "*"` above every version.
function isZero(e: Event): boolean {
  return e.kind === 'introduced' && e.version === '0';
}

type RangeResult = { readonly affected: boolean; readonly fixed: string | undefined };

function evaluateRange(
  range: OsvRange,
  version: string,
  scheme: VersionScheme,
  where: string,
  warnings: string[],
): RangeResult {
  const events: Event[] = [];
  for (const raw of range.events) {
    const e = eventOf(raw);
    if (e === undefined) continue;
    if (isZero(e) || (e.kind === 'limit' && e.version === '*')) {
      events.push(e);
      continue;
    }
    const v = normalizeRecordVersion(scheme, e.version);
    if (!isValid(scheme, v)) {
      if (e.kind === 'limit') {
        warnings.push(`${where}: ${scheme.id} cannot read limit "${e.version}"; range skipped`);
        return { affected: false, fixed: undefined };
      }
      warnings.push(`${where}: ${scheme.id} cannot read ${e.kind} "${e.version}"; event skipped`);
      continue;
    }
    events.push({ kind: e.kind, version: v });
  }

  // BeforeLimits: with limits present, the version must be below at least one of them.
  const limits = events.filter((e) => e.kind === 'limit');
  if (limits.length > 0) {
    const below = limits.some((l) => l.version === '*' || (tryCompare(scheme, version, l.version) ?? 0) < 0);
    if (!below) return { affected: false, fixed: undefined };
  }

  const sorted = events
    .filter((e) => e.kind !== 'limit')
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const za = isZero(a.e);
      const zb = isZero(b.e);
      if (za || zb) return za && zb ? a.i - b.i : za ? -1 : 1;
      return (tryCompare(scheme, a.e.version, b.e.version) ?? 0) || a.i - b.i;
    })
    .map((x) => x.e);

  let affected = false;
  for (const e of sorted) {
    const c = isZero(e) ? 1 : (tryCompare(scheme, version, e.version) ?? 0);
    switch (e.kind) {
      case 'introduced':
        if (c >= 0) affected = true;
        break;
      case 'fixed':
        if (c >= 0) affected = false;
        break;
      case 'last_affected':
        if (c > 0) affected = false;
        break;
      case 'limit':
        break;
    }
  }
  if (!affected) return { affected, fixed: undefined };
  let fixed: string | undefined;
  for (const e of sorted) {
    if (e.kind !== 'fixed' || (tryCompare(scheme, e.version, version) ?? 0) <= 0) continue;
    if (fixed === undefined || (tryCompare(scheme, e.version, fixed) ?? 0) < 0) fixed = e.version;
  }
  return { affected, fixed };
}

/**
 * Whether `version` is affected according to one OSV `affected` entry, and the smallest fixed
 * version above it. Entries with only GIT ranges and no `versions` never match. Never throws:
 * invalid versions in the record or an invalid installed version become warnings.
 */
export function isAffected(affected: OsvAffected, version: string, scheme: VersionScheme): AffectedResult {
  const warnings: string[] = [];
  const pkgName =
    affected.package === undefined ? '' : `${affected.package.ecosystem}/${affected.package.name}`;
  const where = pkgName === '' ? 'advisory' : pkgName;
  const installedValid = isValid(scheme, version);

  const listed = (affected.versions ?? []).some(
    (v) =>
      v === version ||
      (installedValid && tryCompare(scheme, normalizeRecordVersion(scheme, v), version) === 0),
  );

  const ranges = (affected.ranges ?? []).filter((r) => r.type !== 'GIT');
  if (!installedValid) {
    if (ranges.length > 0) {
      warnings.push(
        `${where}: installed version "${version}" is not a valid ${scheme.id} version; ranges not evaluated`,
      );
    }
    return { affected: listed, fixedVersion: undefined, warnings };
  }

  let inRange = false;
  let fixedVersion: string | undefined;
  for (const range of ranges) {
    const r = evaluateRange(range, version, scheme, where, warnings);
    if (!r.affected) continue;
    inRange = true;
    if (
      r.fixed !== undefined &&
      (fixedVersion === undefined || (tryCompare(scheme, r.fixed, fixedVersion) ?? 0) < 0)
    ) {
      fixedVersion = r.fixed;
    }
  }
  return { affected: listed || inRange, fixedVersion: inRange ? fixedVersion : undefined, warnings };
}
