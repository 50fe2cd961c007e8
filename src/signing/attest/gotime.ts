// Timestamps as Go's time.Time writes them in JSON (RFC 3339 with nanoseconds, trailing
// fractional zeros dropped), since cosign's vuln predicate and custom predicate carry them.

/** Go's zero time, what cosign writes for a timestamp the predicate file left out. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** A Date as Go's `time.Time.MarshalJSON` writes a UTC time. */
export function formatGoTime(date: Date): string {
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac === '' ? 'Z' : `.${frac}Z`));
}

/** Seconds precision, as cosign's custom predicate Timestamp (`time.RFC3339` of UTC now). */
export function formatRfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * An RFC 3339 string as Go would write it back after reading it into a time.Time (fraction
 * without trailing zeros, `Z` upper case, the offset kept), or undefined when Go would refuse it.
 */
export function normalizeGoTime(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, date = '', time = '', frac = '', zone = ''] = m;
  if (Number.isNaN(Date.parse(`${date}T${time}Z`))) return undefined;
  const f = frac.replace(/0+$/, '');
  return `${date}T${time}${f === '' ? '' : `.${f}`}${zone === 'z' ? 'Z' : zone}`;
}
