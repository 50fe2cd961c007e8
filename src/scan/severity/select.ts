// Which rating a finding carries. The default order trusts the distribution first for its own
// packages (it knows how its build is exposed), then CVSS from the vector (v4.0, v3.x, v2),
// then the rating word a record carries (GHSA's `database_specific.severity`).
import { PORTCULLIS_KEYS, type OsvAffected, type OsvRecord } from '../../vulndb/index.js';
import type { Severity, SeveritySource } from '../types.js';
import { scoreCvss2 } from './cvss2.js';
import { scoreCvss3, type CvssScore } from './cvss3.js';
import { scoreCvss4 } from './cvss4.js';

/** The rating a finding carries and where it came from. */
export type SeverityChoice = {
  readonly severity: Severity;
  readonly source: SeveritySource;
  readonly score: number | undefined;
  readonly vector: string | undefined;
};

/** The sources a rating is taken from, first found wins. */
export const DEFAULT_SEVERITY_ORDER: readonly SeveritySource[] = [
  'distro',
  'cvss_v4',
  'cvss_v3',
  'cvss_v2',
  'record',
];

const RANK: Readonly<Record<Severity, number>> = {
  critical: 5,
  high: 4,
  medium: 3,
  low: 2,
  negligible: 1,
  unknown: 0,
};

/** Orders severities from most to least severe (for sorting). */
export function compareSeverity(a: Severity, b: Severity): number {
  return RANK[b] - RANK[a];
}

const WORDS: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  medium: 'medium',
  moderate: 'medium',
  low: 'low',
  negligible: 'negligible',
  unimportant: 'negligible',
  none: 'negligible',
};

/**
 * A rating word as distributions and databases write it (Debian `unimportant`, Red Hat
 * `Important`, GHSA `MODERATE`, Ubuntu `negligible`) as a severity; undefined for words that
 * rate nothing (`not yet assigned`, `unknown`).
 */
export function normalizeRating(word: string): Severity | undefined {
  const key = word.trim().toLowerCase();
  return Object.hasOwn(WORDS, key) ? WORDS[key] : undefined;
}

function ratingIn(bag: Readonly<Record<string, unknown>> | undefined, key: string): Severity | undefined {
  const v = bag?.[key];
  return typeof v === 'string' ? normalizeRating(v) : undefined;
}

/** One record and the affected entries of it that matched the package. */
export type MatchedRecord = {
  readonly record: OsvRecord;
  readonly affected: readonly OsvAffected[];
};

function highest(ratings: readonly Severity[]): Severity | undefined {
  let best: Severity | undefined;
  for (const r of ratings) if (best === undefined || RANK[r] > RANK[best]) best = r;
  return best;
}

function distroRating(matched: readonly MatchedRecord[]): Severity | undefined {
  const found: Severity[] = [];
  for (const { record, affected } of matched) {
    for (const a of affected) {
      for (const bag of [a.ecosystem_specific, a.database_specific]) {
        const r = ratingIn(bag, PORTCULLIS_KEYS.severity) ?? ratingIn(bag, 'severity');
        if (r !== undefined) found.push(r);
      }
    }
    // Non-CVSS severity types are a distribution's own scale (OSV type `Ubuntu`).
    for (const s of record.severity ?? []) {
      if (s.type.startsWith('CVSS')) continue;
      const r = normalizeRating(s.score);
      if (r !== undefined) found.push(r);
    }
  }
  return highest(found);
}

function bestCvss(
  matched: readonly MatchedRecord[],
  type: string,
  score: (vector: string) => CvssScore | undefined,
): CvssScore | undefined {
  let best: CvssScore | undefined;
  for (const { record, affected } of matched) {
    const all = [...(record.severity ?? []), ...affected.flatMap((a) => a.severity ?? [])];
    for (const s of all) {
      if (s.type !== type) continue;
      const c = score(s.score);
      if (c !== undefined && (best === undefined || c.score > best.score)) best = c;
    }
  }
  return best;
}

const CVSS_TYPES = { cvss_v4: 'CVSS_V4', cvss_v3: 'CVSS_V3', cvss_v2: 'CVSS_V2' } as const;
const CVSS_SCORERS = { cvss_v4: scoreCvss4, cvss_v3: scoreCvss3, cvss_v2: scoreCvss2 } as const;

function recordRating(matched: readonly MatchedRecord[]): Severity | undefined {
  return highest(
    matched.flatMap(({ record }) => {
      const r = ratingIn(record.database_specific, 'severity');
      return r === undefined ? [] : [r];
    }),
  );
}

/**
 * The severity of a finding made of these records: the first source in `order` that rates it.
 * `distro` is used only for OS packages. Several ratings from one source: the highest; a CVSS
 * vector that does not parse is passed over.
 */
export function selectSeverity(
  matched: readonly MatchedRecord[],
  osPackage: boolean,
  order: readonly SeveritySource[] = DEFAULT_SEVERITY_ORDER,
): SeverityChoice {
  for (const source of order) {
    switch (source) {
      case 'distro': {
        if (!osPackage) break;
        const r = distroRating(matched);
        if (r !== undefined) return { severity: r, source, score: undefined, vector: undefined };
        break;
      }
      case 'cvss_v4':
      case 'cvss_v3':
      case 'cvss_v2': {
        const c = bestCvss(matched, CVSS_TYPES[source], CVSS_SCORERS[source]);
        if (c !== undefined) return { severity: c.severity, source, score: c.score, vector: c.vector };
        break;
      }
      case 'record': {
        const r = recordRating(matched);
        if (r !== undefined) return { severity: r, source, score: undefined, vector: undefined };
        break;
      }
      case 'none':
        break;
    }
  }
  return { severity: 'unknown', source: 'none', score: undefined, vector: undefined };
}
