// The Debian security tracker's JSON export (https://security-tracker.debian.org/tracker/data/json)
// converted to OSV records: source package → CVE → release → { status, fixed_version, urgency,
// nodsa, nodsa_reason }.
//
// One record per CVE, id `DEBIAN-CVE-…` (as osv.dev names Debian's CVE records), alias the CVE,
// `details` the tracker's description, one `affected` entry per (release, source package) with
// ecosystem `Debian:<number>` (codename table and status table in `./debian.ts`). Per release:
//
//   | JSON                                         | status                | raw status      |
//   | -------------------------------------------- | --------------------- | --------------- |
//   | `resolved`, fixed_version `0`                | `not_affected`        | `0`             |
//   | `resolved`, fixed_version V                  | `fixed` (fixed: V)    | `resolved`      |
//   | `open`, urgency `end-of-life`                | `will_not_fix`        | `end-of-life`   |
//   | `open`, nodsa, nodsa_reason `ignored`        | `will_not_fix`        | `ignored`       |
//   | `open`, nodsa, nodsa_reason `postponed`      | `affected`            | `postponed`     |
//   | `open`, nodsa (no reason)                    | `will_not_fix`        | `no-dsa`        |
//   | `open`                                       | `affected`            | `open`          |
//   | `undetermined`                               | `under_investigation` | `undetermined`  |
//
// The urgency (trailing `**`, the tracker's mark for a guessed urgency, removed) is the distro
// severity (`PORTCULLIS_KEYS.severity`): `unimportant`, `low`, `medium`, `high`; `not yet
// assigned` and `end-of-life` are not severities and are left out.

import type { OsvAffected, OsvRecord } from '../osv.js';
import { debianEcosystem, toAffected, type DebianReleaseFacts } from './debian.js';
import { FeedError } from './errors.js';

export type DebianJsonOptions = {
  /**
   * `modified` of every record (the export has no dates); default the Unix epoch.
   * The store keeps a stored record unless the new one is newer: a re-import of changed data
   * must pass a later time (the file's Last-Modified, or the import time).
   */
  readonly modified?: string;
};

export type DebianJsonResult = {
  readonly records: OsvRecord[];
  /** Releases the codename table does not know (`experimental`), skipped. */
  readonly skippedReleases: string[];
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && Boolean(v) && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The per-release facts of one JSON release entry (see the table above). */
export function debianJsonFacts(release: Readonly<Record<string, unknown>>): DebianReleaseFacts | undefined {
  const status = str(release['status']);
  const urgencyRaw = str(release['urgency'])?.replace(/\*+$/, '').trim();
  const severity =
    urgencyRaw === undefined ||
    urgencyRaw === '' ||
    urgencyRaw === 'not yet assigned' ||
    urgencyRaw === 'end-of-life'
      ? undefined
      : urgencyRaw;
  const sev = severity === undefined ? {} : { severity };
  const fixed = str(release['fixed_version']);
  if (status === 'resolved' && fixed !== undefined) {
    return fixed === '0' ? { version: '0', ...sev } : { version: fixed, raw: 'resolved', ...sev };
  }
  if (status === 'open') {
    if (urgencyRaw === 'end-of-life') return { word: 'end-of-life', ...sev };
    if (release['nodsa'] !== undefined) {
      const reason = str(release['nodsa_reason']);
      const word = reason === 'ignored' || reason === 'postponed' ? reason : 'no-dsa';
      const note = str(release['nodsa']);
      return { word, ...(note === undefined || note === '' ? {} : { note }), ...sev };
    }
    return { word: 'unfixed', raw: 'open', ...sev };
  }
  if (status === 'undetermined') return { word: 'undetermined', ...sev };
  return undefined;
}

/**
 * Converts the tracker JSON export (parsed) to OSV records, sorted by id.
 * @throws FeedError `FEED_INVALID` when the document is not the tracker's package → CVE map.
 */
export function debianTrackerJsonToOsv(doc: unknown, options: DebianJsonOptions = {}): DebianJsonResult {
  if (!isObject(doc))
    throw new FeedError('FEED_INVALID', 'Debian tracker JSON: expected an object of source packages');
  const modified = options.modified ?? '1970-01-01T00:00:00Z';
  const byCve = new Map<string, { details?: string; affected: OsvAffected[] }>();
  const skipped = new Set<string>();
  for (const [pkg, cves] of Object.entries(doc)) {
    if (!isObject(cves))
      throw new FeedError('FEED_INVALID', `Debian tracker JSON: ${pkg} is not an object of CVEs`);
    for (const [cve, entry] of Object.entries(cves)) {
      // An empty `releases` is sometimes written as a list (`"releases": []`).
      const releases =
        isObject(entry) && Array.isArray(entry['releases']) && entry['releases'].length === 0
          ? {}
          : isObject(entry)
            ? entry['releases']
            : undefined;
      if (!isObject(entry) || !isObject(releases)) {
        throw new FeedError('FEED_INVALID', `Debian tracker JSON: ${pkg} ${cve} has no releases object`);
      }
      let rec = byCve.get(cve);
      if (rec === undefined) {
        const details = str(entry['description']);
        rec = details === undefined || details === '' ? { affected: [] } : { details, affected: [] };
        byCve.set(cve, rec);
      }
      for (const [codename, release] of Object.entries(releases)) {
        const ecosystem = debianEcosystem(codename);
        if (ecosystem === undefined) {
          skipped.add(codename);
          continue;
        }
        const facts = isObject(release) ? debianJsonFacts(release) : undefined;
        const affected = facts === undefined ? undefined : toAffected(ecosystem, pkg, facts);
        if (affected !== undefined) rec.affected.push(affected);
      }
    }
  }
  const records = [...byCve.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([cve, rec]): OsvRecord => {
      const base: OsvRecord = {
        id: `DEBIAN-${cve}`,
        modified,
        aliases: [cve],
        affected: rec.affected,
        references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${cve}` }],
      };
      return rec.details === undefined ? base : { ...base, details: rec.details };
    });
  return { records, skippedReleases: [...skipped].sort() };
}
