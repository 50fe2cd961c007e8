/** One package header as a database stores it: rpm's instance number and the header blob. */
export type RpmDbRecord = {
  /** rpm's header instance ("hnum", "pkgidx"): unique per database, increasing with installs. */
  readonly instance: number;
  readonly blob: Buffer;
};

/** The headers read from one database file, and the records that could not be read. */
export type RpmDbContents = {
  /** Sorted by instance number (install order), whatever order the file keeps them in. */
  readonly records: readonly RpmDbRecord[];
  /** One message per record that was skipped as unreadable. */
  readonly problems: readonly string[];
};

/** Records sorted by instance number. */
export function byInstance(records: RpmDbRecord[]): RpmDbRecord[] {
  return records.sort((a, b) => a.instance - b.instance);
}
