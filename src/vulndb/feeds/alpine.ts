// Alpine secdb (https://secdb.alpinelinux.org/, the `secfixes` format; the same document is
// published as YAML and as JSON) converted to OSV records.
//
// Shape of the output, chosen for matching (an installed apk package is looked up by ecosystem
// `Alpine:vX.Y` and its *origin* package name, which is what secdb's `pkg.name` is):
//
// - one record per vulnerability id across every file converted together, id `ALPINE-<id>`
//   (`ALPINE-CVE-2019-1543`, `ALPINE-XSA-207`), as osv.dev names its Alpine records; `aliases`
//   holds the CVE and the other ids written on the same secfixes line (`XSA-214`, `TALOS-…`);
// - one `affected` entry per (release, package): ecosystem from the file's `distroversion`
//   (else the `vX.Y` folder in its path), one ECOSYSTEM range `introduced: 0, fixed: <version>`
//   and `database_specific` status `fixed`;
// - a fixed version of `0` means the package was never affected in that release (secdb
//   documentation: "the package is not affected by this vulnerability"): no range, status
//   `not_affected` with raw status `0`.
//
// The secfixes lines are written by hand: `CVE_2019-2426`, `CVE 2018-16859` and
// `CVE-2017-17434-1` are read as the CVE they mean; placeholders such as `CVE-????-?????` are
// dropped (the `XSA-295` beside it is kept).

import { parse as parseYaml } from 'yaml';
import { truncateForMessage } from '../../core/index.js';
import type { OsvAffected, OsvRecord } from '../osv.js';
import { FeedError } from './errors.js';
import { feedFacts } from './status.js';

/** One secdb file, as read. */
export type AlpineSecdb = {
  /** OSV ecosystem of the release, `Alpine:v3.15`. */
  readonly ecosystem: string;
  /** `main`, `community`, … when the file says. */
  readonly repo?: string;
  readonly packages: readonly AlpineSecfixes[];
};

/** One package's secfixes: one entry per line, the fixed version and the ids on that line. */
export type AlpineSecfixes = {
  readonly name: string;
  readonly fixes: readonly { readonly version: string; readonly ids: readonly string[] }[];
};

export type AlpineConvertOptions = {
  /**
   * `modified` of every record (secdb has no dates); default the Unix epoch.
   * The store keeps a stored record unless the new one is newer: a re-import of changed data
   * must pass a later time (the file's Last-Modified, or the import time).
   */
  readonly modified?: string;
};

const MAX_SECDB_BYTES = 64 * 1024 * 1024;
const ID_TOKEN = /^(?:[A-Z][A-Z0-9]*-)+[0-9][0-9A-Za-z.-]*$/;
const CVE_LOOSE = /^CVE[-_ ]?(\d{4})-(\d{4,})(?:-\d+)?$/i;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && Boolean(v) && !Array.isArray(v);
}

/** The `vX.Y` (or `edge`) release of a secdb file, from `distroversion` or the path. */
function releaseOf(distroversion: unknown, filePath: string | undefined): string {
  if (typeof distroversion === 'string' && /^(?:v\d+\.\d+|edge)$/.test(distroversion.trim())) {
    return distroversion.trim();
  }
  const fromPath =
    filePath === undefined ? undefined : /(?:^|[/\\])(v\d+\.\d+|edge)[/\\]/.exec(filePath)?.[1];
  if (fromPath !== undefined) return fromPath;
  throw new FeedError(
    'FEED_INVALID',
    `Alpine secdb ${filePath ?? '(input)'}: no release (distroversion ${truncateForMessage(String(distroversion))}, expected vX.Y)`,
  );
}

/**
 * Splits one secfixes line into vulnerability ids: the CVE (normalized) first, then the others.
 * Returns an empty list for a line with no usable id.
 */
export function parseSecfixLine(line: string): string[] {
  const ids: string[] = [];
  // `CVE 2018-16859` is one id written with a space.
  const tokens = line
    .trim()
    .replace(/^CVE (\d{4}-)/i, 'CVE-$1')
    .split(/\s+/);
  for (const token of tokens) {
    const cve = CVE_LOOSE.exec(token) ?? undefined;
    const id =
      cve !== undefined
        ? `CVE-${cve[1] ?? ''}-${cve[2] ?? ''}`
        : ID_TOKEN.test(token) && !/^CVE-/i.test(token)
          ? token
          : undefined;
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  return ids.sort((a, b) => Number(b.startsWith('CVE-')) - Number(a.startsWith('CVE-')));
}

/**
 * Reads one secdb document (YAML or JSON text).
 * @throws FeedError `FEED_INVALID` when the text is not a secdb document.
 */
export function parseAlpineSecdb(text: string, filePath?: string): AlpineSecdb {
  const where = filePath ?? '(input)';
  if (text.length > MAX_SECDB_BYTES) {
    throw new FeedError(
      'FEED_INVALID',
      `Alpine secdb ${where}: ${text.length} bytes, more than ${MAX_SECDB_BYTES}`,
    );
  }
  let doc: unknown;
  try {
    // The failsafe schema keeps every scalar a string: `0`, `1.10` stay versions, not numbers.
    doc = parseYaml(text, { schema: 'failsafe', maxAliasCount: 100 });
  } catch (err) {
    throw new FeedError('FEED_INVALID', `Alpine secdb ${where}: not YAML or JSON`, { cause: err });
  }
  // An empty `packages:` (v3.3 community) reads as the empty string under the failsafe schema.
  const list = isRecord(doc) ? (doc['packages'] === '' ? [] : doc['packages']) : undefined;
  if (!isRecord(doc) || !Array.isArray(list)) {
    throw new FeedError('FEED_INVALID', `Alpine secdb ${where}: expected a mapping with a packages list`);
  }
  const release = releaseOf(doc['distroversion'], filePath);
  const packages: AlpineSecfixes[] = [];
  for (const entry of list as unknown[]) {
    const pkg = isRecord(entry) ? entry['pkg'] : undefined;
    if (!isRecord(pkg) || typeof pkg['name'] !== 'string' || pkg['name'] === '') {
      throw new FeedError('FEED_INVALID', `Alpine secdb ${where}: a packages entry without pkg.name`);
    }
    const secfixes = pkg['secfixes'];
    const fixes: { version: string; ids: string[] }[] = [];
    if (isRecord(secfixes)) {
      for (const [version, lines] of Object.entries(secfixes)) {
        const list: unknown[] = Array.isArray(lines) ? lines : typeof lines === 'string' ? [lines] : [];
        for (const line of list) {
          if (typeof line === 'string') fixes.push({ version: version.trim(), ids: parseSecfixLine(line) });
        }
      }
    } else if (secfixes !== undefined && secfixes !== '') {
      throw new FeedError(
        'FEED_INVALID',
        `Alpine secdb ${where}: secfixes of ${pkg['name']} is not a mapping`,
      );
    }
    packages.push({ name: pkg['name'], fixes });
  }
  const repo = doc['reponame'];
  return typeof repo === 'string'
    ? { ecosystem: `Alpine:${release}`, repo, packages }
    : { ecosystem: `Alpine:${release}`, packages };
}

type Building = {
  aliases: string[];
  affected: Map<string, { ecosystem: string; name: string; fixed: string[] }>;
};

function toAffected(a: { ecosystem: string; name: string; fixed: readonly string[] }): OsvAffected {
  const pkg = { package: { ecosystem: a.ecosystem, name: a.name } };
  const versions = a.fixed.filter((v) => v !== '0');
  if (versions.length === 0) return { ...pkg, database_specific: feedFacts('not_affected', '0') };
  // One id under two versions of one package (a follow-up fix) gives two ranges: a version is
  // affected while it is below either, so the later fix counts without comparing versions here.
  return {
    ...pkg,
    ranges: versions.map((fixed) => ({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] })),
    database_specific: feedFacts('fixed'),
  };
}

/**
 * Converts secdb files (any number of releases and repositories) to OSV records, one per
 * vulnerability id, sorted by id.
 */
export function alpineSecdbToOsv(
  dbs: readonly AlpineSecdb[],
  options: AlpineConvertOptions = {},
): OsvRecord[] {
  const modified = options.modified ?? '1970-01-01T00:00:00Z';
  const byId = new Map<string, Building>();
  for (const db of dbs) {
    for (const pkg of db.packages) {
      for (const fix of pkg.fixes) {
        const [primary, ...others] = fix.ids;
        if (primary === undefined) continue;
        let rec = byId.get(primary);
        if (rec === undefined) {
          rec = { aliases: [], affected: new Map() };
          byId.set(primary, rec);
        }
        for (const o of others) if (!rec.aliases.includes(o)) rec.aliases.push(o);
        const key = `${db.ecosystem}\u0000${pkg.name}`;
        const entry = rec.affected.get(key) ?? { ecosystem: db.ecosystem, name: pkg.name, fixed: [] };
        if (!entry.fixed.includes(fix.version)) entry.fixed.push(fix.version);
        rec.affected.set(key, entry);
      }
    }
  }
  return [...byId.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, rec]) => ({
      id: `ALPINE-${id}`,
      modified,
      aliases: [id, ...rec.aliases.filter((a) => a !== id)],
      affected: [...rec.affected.values()].map(toAffected),
      references: id.startsWith('CVE-')
        ? [{ type: 'ADVISORY', url: `https://security.alpinelinux.org/vuln/${id}` }]
        : [],
    }));
}
