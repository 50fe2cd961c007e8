import type { Package } from '../../inventory/index.js';
import type { Finding } from '../types.js';
import { purlMatches } from './purl.js';
import type {
  FilteredFinding,
  IgnoreEntry,
  PolicyOptions,
  PolicyResult,
  PolicySubject,
  Suppression,
  SuppressedFinding,
  VexStatement,
} from './types.js';

const DAY_MS = 86_400_000;

/** True when the entry's expiry day (UTC) is over at `now`. Entries without `expires` never expire. */
export function isExpired(entry: IgnoreEntry, now: Date): boolean {
  if (entry.expires === undefined) return false;
  const end = Date.parse(`${entry.expires}T00:00:00Z`) + DAY_MS;
  return now.getTime() >= end;
}

function idsOf(f: Finding): ReadonlySet<string> {
  return new Set([f.id, ...f.aliases].map((s) => s.toUpperCase()));
}

/**
 * The names a package is known by: its name, its name with namespace (`@babel/core`,
 * `org.x:lib`), and for OS packages its source package (`openssl` for `libssl3`), since
 * advisories and people name the source.
 */
function namesOf(pkg: Package): string[] {
  const names = [pkg.name];
  if (pkg.source !== undefined) names.push(pkg.source.name);
  const ns = pkg.namespace;
  if (ns !== undefined && ns !== '') {
    names.push(pkg.type === 'maven' ? `${ns}:${pkg.name}` : `${ns}/${pkg.name}`);
  }
  return names;
}

function ignoreMatches(entry: IgnoreEntry, f: Finding, ids: ReadonlySet<string>): boolean {
  if (!ids.has(entry.id.toUpperCase())) return false;
  if (entry.package !== undefined && !namesOf(f.package).includes(entry.package)) return false;
  if (entry.purl !== undefined && !purlMatches(entry.purl, f.package.purl)) return false;
  return true;
}

function namesMatch(
  ids: readonly string[],
  pkg: Package,
  subject: PolicySubject | undefined,
): 'package' | 'image' | undefined {
  if (pkg.purl !== '' && ids.some((id) => purlMatches(id, pkg.purl))) return 'package';
  if (subject !== undefined && ids.some((id) => subject.ids.some((s) => id === s || purlMatches(id, s)))) {
    return 'image';
  }
  return undefined;
}

/**
 * Whether a statement speaks about this finding: a product names the package's purl, or the
 * product is the image and either lists no subcomponents or lists one naming the package.
 */
function vexApplies(
  s: VexStatement,
  f: Finding,
  ids: ReadonlySet<string>,
  subject: PolicySubject | undefined,
): boolean {
  if (!s.vulnerability.some((v) => ids.has(v.toUpperCase()))) return false;
  return s.products.some((p) => {
    const hit = namesMatch(p.ids, f.package, subject);
    if (hit === 'package') return true;
    if (hit === undefined) return false;
    return (
      p.subcomponents.length === 0 ||
      p.subcomponents.some(
        (sub) => f.package.purl !== '' && sub.some((id) => purlMatches(id, f.package.purl)),
      )
    );
  });
}

/** The statement that decides: the latest by timestamp, ties to the later one in input order. */
function latest(statements: readonly VexStatement[]): VexStatement | undefined {
  let best: VexStatement | undefined;
  let bestTime = Number.NEGATIVE_INFINITY;
  for (const s of statements) {
    const t = s.timestamp === undefined ? Number.NEGATIVE_INFINITY : Date.parse(s.timestamp);
    const time = Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
    if (best === undefined || time >= bestTime) {
      best = s;
      bestTime = time;
    }
  }
  return best;
}

function vexSuppression(s: VexStatement): Suppression | undefined {
  // OpenVEX: only not_affected and fixed say the product is not exposed; affected and
  // under_investigation keep the finding.
  if (s.status !== 'not_affected' && s.status !== 'fixed') return undefined;
  return {
    by: 'vex',
    status: s.status,
    ...(s.justification === undefined ? {} : { justification: s.justification }),
    ...(s.impactStatement === undefined ? {} : { impactStatement: s.impactStatement }),
    ...(s.document === undefined ? {} : { document: s.document }),
  };
}

/**
 * Splits findings into those that count and those a policy accepts. VEX statements are applied
 * first (the latest statement about a finding decides), then ignore entries that have not
 * expired, then `ignoreUnfixed` and the severity list. Pure: `now` decides expiry.
 */
export function applyPolicy(findings: readonly Finding[], options: PolicyOptions): PolicyResult {
  const active: IgnoreEntry[] = [];
  const expiredIgnores: IgnoreEntry[] = [];
  for (const e of options.ignore ?? []) (isExpired(e, options.now) ? expiredIgnores : active).push(e);
  const severities = options.severities === undefined ? undefined : new Set(options.severities);
  const kept: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  const filtered: FilteredFinding[] = [];
  for (const f of findings) {
    const ids = idsOf(f);
    const statement = latest((options.vex ?? []).filter((s) => vexApplies(s, f, ids, options.subject)));
    const byVex = statement === undefined ? undefined : vexSuppression(statement);
    if (byVex !== undefined) {
      suppressed.push({ finding: f, suppression: byVex });
      continue;
    }
    const entry = active.find((e) => ignoreMatches(e, f, ids));
    if (entry !== undefined) {
      suppressed.push({
        finding: f,
        suppression: {
          by: 'ignore',
          reason: entry.reason,
          ...(entry.expires === undefined ? {} : { expires: entry.expires }),
        },
      });
      continue;
    }
    if (options.ignoreUnfixed === true && (f.fixedVersion === undefined || f.status === 'will_not_fix')) {
      filtered.push({ finding: f, by: 'unfixed' });
      continue;
    }
    if (severities !== undefined && !severities.has(f.severity)) {
      filtered.push({ finding: f, by: 'severity' });
      continue;
    }
    kept.push(f);
  }
  return { kept, suppressed, filtered, expiredIgnores };
}

/** The exit code a gate ends with: `exitCode` (default 1) when any finding is kept, else 0. */
export function exitCodeFor(kept: readonly Finding[], options: { readonly exitCode?: number } = {}): number {
  return kept.length > 0 ? (options.exitCode ?? 1) : 0;
}
