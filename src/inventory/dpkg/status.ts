// Packages from dpkg's database: var/lib/dpkg/status (every package dpkg knows, with a Status
// field) and the per-package files distroless images keep in var/lib/dpkg/status.d/ (no
// Status field: everything listed there is installed). Field meanings: deb-control(5),
// dpkg-query(1) (`source:Package`, `source:Version`).
import { parseDeb822 } from './deb822.js';

/** One installed package as the database records it. */
export type DpkgRecord = {
  readonly name: string;
  readonly version: string;
  readonly arch: string | undefined;
  /** Source package: the `Source:` field's name and version, defaulting to the binary's own. */
  readonly source: { readonly name: string; readonly version: string };
  /** 1-based line of the stanza in its file. */
  readonly line: number;
};

/** Something in the file that did not parse; `lost` when a package may be missing because of it. */
export type DpkgProblem = { readonly message: string; readonly lost: boolean };

export type DpkgDatabase = { readonly records: DpkgRecord[]; readonly problems: DpkgProblem[] };

// `Source: name` or `Source: name (version)` (deb-control(5)).
const SOURCE_FIELD = /^(\S+)(?:\s+\(([^()\s]+)\))?$/;

/**
 * Whether a Status field (`want flag status`, deb-control(5)) says the package's files are
 * on disk. `install ok installed` is the usual case; `hold ok installed` (apt-mark hold) and
 * `deinstall ok installed` (marked for removal, not yet removed) are installed too, as
 * dpkg-query reports them. `config-files`, `half-installed` and the like are not.
 */
export function isInstalledStatus(status: string): boolean {
  const words = status.trim().split(/\s+/);
  return words.length === 3 && words[1] === 'ok' && words[2] === 'installed';
}

/**
 * Parses a dpkg status file (`withStatus`: only stanzas whose Status says installed count) or a
 * status.d file (every stanza counts unless a Status field says otherwise). Never throws:
 * stanzas without a name or version are reported as lost problems.
 */
export function parseDpkgDatabase(text: string, options: { readonly withStatus: boolean }): DpkgDatabase {
  const records: DpkgRecord[] = [];
  const problems: DpkgProblem[] = [];
  for (const p of parseDeb822(text)) {
    const name = p.fields.get('package');
    const version = p.fields.get('version');
    const status = p.fields.get('status');
    const where = `stanza at line ${p.line}`;
    if (name === undefined || name === '') {
      problems.push({ message: `${where} has no Package name`, lost: true });
      for (const message of p.problems) problems.push({ message, lost: true });
      continue;
    }
    if (status === undefined ? options.withStatus : !isInstalledStatus(status)) {
      if (status === undefined)
        problems.push({ message: `${where} (${name}) has no Status field`, lost: true });
      continue;
    }
    for (const message of p.problems) problems.push({ message: `${name}: ${message}`, lost: false });
    if (version === undefined || version === '') {
      problems.push({ message: `${where} (${name}) has no Version`, lost: true });
      continue;
    }
    const sourceField = p.fields.get('source');
    const m = sourceField === undefined ? undefined : (SOURCE_FIELD.exec(sourceField) ?? undefined);
    if (sourceField !== undefined && m === undefined) {
      problems.push({ message: `${where} (${name}): unreadable Source field "${sourceField}"`, lost: false });
    }
    const arch = p.fields.get('architecture');
    records.push({
      name,
      version,
      arch: arch === '' ? undefined : arch,
      source: { name: m?.[1] ?? name, version: m?.[2] ?? version },
      line: p.line,
    });
  }
  return { records, problems };
}
