// Debian security tracker advisories (`data/DSA/list`, `data/DLA/list` of
// https://salsa.debian.org/security-tracker-team/security-tracker) converted to OSV records.
//
// The list format, one advisory per block:
//
//   [29 Mar 2023] DSA-5380-1 xorg-server - security update
//   	{CVE-2023-1393}
//   	[bullseye] - xorg-server 2:1.20.11-1+deb11u6
//   	[lenny] - openoffice.org <not-affected> (Vulnerable code not present)
//   	NOTE: free text
//
// Output: one record per advisory, id as written (`DSA-5380-1`, `DLA-3372-1`, `DSA-141`),
// `aliases` the `{CVE-…}` list, `published`/`modified` the advisory date, and one `affected`
// entry per `[release] - package …` line: ecosystem `Debian:<number>` (codename table below),
// package the **source** package (what the tracker names, and what matching looks up through a
// binary package's `Source:`).
//
// Status mapping (`database_specific` under PORTCULLIS_KEYS; the raw word is kept beside it):
//
//   | tracker                 | status                | range                          |
//   | ----------------------- | --------------------- | ------------------------------ |
//   | a version               | `fixed`               | `introduced: 0, fixed: <ver>`  |
//   | `<not-affected>`        | `not_affected`        | none                           |
//   | `<unfixed>`             | `affected`            | `introduced: 0`                |
//   | `<postponed>`           | `affected`            | `introduced: 0` (fix deferred) |
//   | `<no-dsa>` / `no-dsa`   | `will_not_fix`        | `introduced: 0`                |
//   | `<ignored>`             | `will_not_fix`        | `introduced: 0`                |
//   | `<end-of-life>`         | `will_not_fix`        | `introduced: 0`                |
//   | `<undetermined>`        | `under_investigation` | `introduced: 0`                |
//
// A version of `0` (tracker JSON) means never affected: `not_affected` with raw status `0`.
// `NOTE:` lines (some quote a status inside them) are comments and are not read as entries.

import { truncateForMessage } from '../../core/index.js';
import type { OsvAffected, OsvRecord } from '../osv.js';
import { FeedError } from './errors.js';
import { feedFacts, type FeedStatus } from './status.js';

/** Debian codename → OSV release number (`Debian:<number>`); `sid` is `unstable`. */
export const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  sid: 'unstable',
};

/** The OSV ecosystem of a Debian codename, or undefined for a codename not in the table. */
export function debianEcosystem(codename: string): string | undefined {
  const n = DEBIAN_RELEASES[codename.toLowerCase()];
  return n === undefined ? undefined : `Debian:${n}`;
}

/** A tracker status word (without `<>`) → normalized status; undefined for an unknown word. */
export function debianStatus(word: string): FeedStatus | undefined {
  switch (word) {
    case 'not-affected':
      return 'not_affected';
    case 'unfixed':
    case 'postponed':
      return 'affected';
    case 'no-dsa':
    case 'ignored':
    case 'end-of-life':
      return 'will_not_fix';
    case 'undetermined':
      return 'under_investigation';
    default:
      return undefined;
  }
}

const MONTHS: Readonly<Record<string, string>> = {
  Jan: '01',
  Feb: '02',
  Mar: '03',
  Apr: '04',
  May: '05',
  Jun: '06',
  Jul: '07',
  Aug: '08',
  Sep: '09',
  Oct: '10',
  Nov: '11',
  Dec: '12',
};

const HEADER = /^\[(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})\] +(D[SL]A-\d+(?:-\d+)?)(?: +(.*))?$/;
const CVES = /^\{([^}]*)\}$/;
const ENTRY = /^\[([a-z]+)\] +- +(\S+) +(?:<([a-z-]+)>(?: +\((.*)\))?|(\S+))(?: +(.*))?$/;
const MAX_LINE = 64 * 1024;

/** Problems the converter skipped (unknown release, unknown status), for the caller's log. */
export type DebianListWarning = { readonly line: number; readonly message: string };

export type DebianListOptions = {
  /**
   * `modified` of every record; default the advisory date. The store keeps a stored record
   * unless the new one is newer, so a re-import of a changed list must pass a later time (the
   * list's Last-Modified, or the import time) for edited advisories to replace stored ones.
   */
  readonly modified?: string;
};

export type DebianListResult = {
  readonly records: OsvRecord[];
  readonly warnings: DebianListWarning[];
};

type Block = {
  id: string;
  date: string;
  summary?: string;
  aliases: string[];
  affected: OsvAffected[];
  seen: Set<string>;
};

function toRecord(b: Block, modified: string | undefined): OsvRecord {
  const kind = b.id.startsWith('DLA-') ? 'DLA' : 'DSA';
  const rec: OsvRecord = {
    id: b.id,
    modified: modified ?? b.date,
    published: b.date,
    aliases: b.aliases,
    affected: b.affected,
    references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${b.id}` }],
    database_specific: { source: `debian-${kind.toLowerCase()}-list` },
  };
  return b.summary === undefined ? rec : { ...rec, summary: b.summary };
}

/**
 * Converts a Debian security tracker `DSA/list` or `DLA/list` to OSV records, newest first as
 * in the file. Lines it cannot place (an unknown codename or status word) are skipped and
 * reported as warnings.
 * @throws FeedError `FEED_INVALID` when the text has no advisory header or an entry sits
 * outside any advisory.
 */
export function parseDebianList(
  text: string,
  source = 'DSA/list',
  options: DebianListOptions = {},
): DebianListResult {
  const records: OsvRecord[] = [];
  const warnings: DebianListWarning[] = [];
  let current: Block | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    if (raw.length > MAX_LINE) {
      throw new FeedError('FEED_INVALID', `${source}:${lineNo}: line longer than ${MAX_LINE} characters`);
    }
    const line = raw.trim();
    if (line === '') continue;
    const header = HEADER.exec(raw.trimEnd()) ?? undefined;
    if (header !== undefined) {
      if (current !== undefined) records.push(toRecord(current, options.modified));
      const [, day = '', mon = '', year = '', id = '', rest = ''] = header;
      const month = MONTHS[mon];
      if (month === undefined) {
        throw new FeedError(
          'FEED_INVALID',
          `${source}:${lineNo}: month ${truncateForMessage(mon)} in ${truncateForMessage(line)}`,
        );
      }
      // `<packages> - <description>`; the packages are given again, per release, below.
      const dash = rest.indexOf(' - ');
      const summary = (dash >= 0 ? rest.slice(dash + 3) : rest).trim();
      current = {
        id,
        date: `${year}-${month}-${day.padStart(2, '0')}T00:00:00Z`,
        aliases: [],
        affected: [],
        seen: new Set(),
        ...(summary === '' ? {} : { summary }),
      };
      continue;
    }
    if (line.startsWith('NOTE:')) continue;
    if (current === undefined) {
      throw new FeedError(
        'FEED_INVALID',
        `${source}:${lineNo}: ${truncateForMessage(line)} before any advisory header`,
      );
    }
    const cves = CVES.exec(line) ?? undefined;
    if (cves !== undefined) {
      for (const id of (cves[1] ?? '').split(/\s+/)) {
        if (id !== '' && !current.aliases.includes(id)) current.aliases.push(id);
      }
      continue;
    }
    const entry = ENTRY.exec(line) ?? undefined;
    if (entry === undefined) {
      warnings.push({ line: lineNo, message: `not an advisory line: ${truncateForMessage(line)}` });
      continue;
    }
    const [, codename = '', pkg = '', word, note, version] = entry;
    const ecosystem = debianEcosystem(codename);
    if (ecosystem === undefined) {
      warnings.push({ line: lineNo, message: `unknown Debian release ${truncateForMessage(codename)}` });
      continue;
    }
    const key = `${ecosystem}\u0000${pkg}`;
    if (current.seen.has(key)) continue;
    const affected = toAffected(ecosystem, pkg, {
      ...(word === undefined ? {} : { word, raw: `<${word}>` }),
      ...(version === undefined ? {} : { version }),
      ...(note === undefined ? {} : { note }),
    });
    if (affected === undefined) {
      warnings.push({ line: lineNo, message: `unknown status <${word ?? ''}>` });
      continue;
    }
    current.seen.add(key);
    current.affected.push(affected);
  }
  if (current !== undefined) records.push(toRecord(current, options.modified));
  if (records.length === 0 && text.trim() !== '') {
    throw new FeedError('FEED_INVALID', `${source}: no advisory header ([dd Mon yyyy] DSA-…) found`);
  }
  return { records, warnings };
}

/** What a tracker says about one source package in one release. */
export type DebianReleaseFacts = {
  /** Status word without `<>` (`unfixed`, `no-dsa`, …), when there is no fixed version. */
  readonly word?: string;
  /** The word as the feed wrote it (`<unfixed>` in the lists, `no-dsa` in the JSON). */
  readonly raw?: string;
  readonly version?: string;
  readonly note?: string;
  readonly severity?: string;
};

/**
 * One `affected` entry from a release's status word or fixed version (see the table at the top
 * of this module); undefined for an unknown status word or an entry with neither.
 */
export function toAffected(
  ecosystem: string,
  name: string,
  facts: DebianReleaseFacts,
): OsvAffected | undefined {
  const pkg = { package: { ecosystem, name } };
  const extra = facts.note === undefined || facts.note === '' ? {} : { note: facts.note };
  const { word, version, severity } = facts;
  if (word === undefined) {
    if (version === undefined) return undefined;
    if (version === '0')
      return { ...pkg, database_specific: feedFacts('not_affected', '0', severity, extra) };
    return {
      ...pkg,
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: version }] }],
      database_specific: feedFacts('fixed', facts.raw, severity, extra),
    };
  }
  const status = debianStatus(word);
  if (status === undefined) return undefined;
  const db = feedFacts(status, facts.raw ?? word, severity, extra);
  if (status === 'not_affected') return { ...pkg, database_specific: db };
  return { ...pkg, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], database_specific: db };
}
