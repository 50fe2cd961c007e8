import type { Inventory, Package } from '../inventory/index.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'negligible' | 'unknown';

/** Normalized status of a finding; the feed's own word is kept in `rawStatus`. */
export type FindingStatus = 'affected' | 'fixed' | 'will_not_fix' | 'under_investigation' | 'not_affected';

/** Where a severity rating came from. */
export type SeveritySource = 'distro' | 'cvss_v4' | 'cvss_v3' | 'cvss_v2' | 'record' | 'none';

/** One vulnerability in one package: the unit every report and gate works on. */
export type Finding = {
  /** The primary id: the CVE when one is among the ids, else the record's own id. */
  readonly id: string;
  /** Every other id the merged records carry (GHSA, DSA/DLA, distro ids, PYSEC, GO, RUSTSEC…), sorted. */
  readonly aliases: readonly string[];
  readonly package: Package;
  readonly installedVersion: string;
  /** The lowest fixed version above the installed one, if any is known. */
  readonly fixedVersion: string | undefined;
  readonly status: FindingStatus;
  readonly rawStatus: string | undefined;
  readonly severity: Severity;
  readonly severitySource: SeveritySource;
  /** CVSS base score behind the rating, when it came from a vector. */
  readonly cvssScore: number | undefined;
  readonly cvssVector: string | undefined;
  readonly title: string | undefined;
  readonly description: string | undefined;
  readonly references: readonly string[];
  /** The OSV ecosystem the match was made in (`Debian:12`, `Alpine:v3.10`, `PyPI`…). */
  readonly ecosystem: string;
  /** The ids of the OSV records merged into this finding. */
  readonly recordIds: readonly string[];
  readonly published: string | undefined;
  readonly modified: string | undefined;
};

/** What a scan of one target found. */
export type ScanResult = {
  readonly inventory: Inventory;
  readonly findings: readonly Finding[];
  readonly warnings: readonly string[];
};
