// The OSV record model (https://ossf.github.io/osv-schema/, schema.json in ../shared/data/osv-schema):
// every feed Portcullis imports (OSV JSON/YAML, Alpine secdb, Debian DSA/DLA lists) is converted
// to this shape, so matching has one model to understand.

export type OsvEventIntroduced = { readonly introduced: string };
export type OsvEventFixed = { readonly fixed: string };
export type OsvEventLastAffected = { readonly last_affected: string };
export type OsvEventLimit = { readonly limit: string };
export type OsvEvent = OsvEventIntroduced | OsvEventFixed | OsvEventLastAffected | OsvEventLimit;

export type OsvRange = {
  readonly type: 'ECOSYSTEM' | 'SEMVER' | 'GIT';
  readonly repo?: string;
  readonly events: readonly OsvEvent[];
  readonly database_specific?: Readonly<Record<string, unknown>>;
};

export type OsvSeverity = {
  /** `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`. */
  readonly type: string;
  /** A CVSS vector string, or the rating for non-CVSS types. */
  readonly score: string;
};

export type OsvAffected = {
  readonly package?: {
    /** OSV ecosystem, with release where the ecosystem has them: `Debian:12`, `Alpine:v3.19`, `PyPI`, `Go`. */
    readonly ecosystem: string;
    readonly name: string;
    readonly purl?: string;
  };
  readonly severity?: readonly OsvSeverity[];
  readonly ranges?: readonly OsvRange[];
  readonly versions?: readonly string[];
  readonly ecosystem_specific?: Readonly<Record<string, unknown>>;
  readonly database_specific?: Readonly<Record<string, unknown>>;
};

export type OsvRecord = {
  readonly schema_version?: string;
  readonly id: string;
  readonly modified: string;
  readonly published?: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
  readonly related?: readonly string[];
  readonly upstream?: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity?: readonly OsvSeverity[];
  readonly affected?: readonly OsvAffected[];
  readonly references?: readonly { readonly type: string; readonly url: string }[];
  readonly credits?: readonly {
    readonly name: string;
    readonly contact?: readonly string[];
    readonly type?: string;
  }[];
  readonly database_specific?: Readonly<Record<string, unknown>>;
};

/**
 * Where an advisory's per-package facts that OSV has no field for are kept, in
 * `affected[].ecosystem_specific` / `database_specific` under these keys, by the native-feed
 * converters (Debian tracker, Alpine secdb) and read by matching.
 */
export const PORTCULLIS_KEYS = {
  /** Normalized status: `affected` | `fixed` | `not_affected` | `will_not_fix` | `under_investigation`. */
  status: 'portcullis_status',
  /** The feed's own status word as written (`no-dsa`, `ignored`, `postponed`, `<unfixed>`, `<not-affected>`). */
  rawStatus: 'portcullis_raw_status',
  /** The distro's own severity rating (`low`, `medium`, `high`, `critical`, `unimportant`). */
  severity: 'portcullis_severity',
} as const;

/** Read access to stored advisories, as matching needs it (implemented by the SQLite store). */
export interface AdvisorySource {
  /** Every non-withdrawn record with an `affected` entry for this ecosystem and package name. */
  advisoriesFor(ecosystem: string, name: string): readonly OsvRecord[];
}
