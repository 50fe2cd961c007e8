import { MAX_VERSION_LENGTH } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';
import { atMost, compareSemverVersions, parseSemverText } from './semver-core.js';
import type { SemverVersion } from './semver-core.js';

// Cargo's semver crate stores MAJOR, MINOR and PATCH as u64 and refuses larger numbers.
const MAX_U64 = '18446744073709551615';

function parse(input: string): SemverVersion | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  // Cargo takes the semver.org grammar as is: no `v` prefix, no whitespace, no shorthand.
  const v = parseSemverText(input);
  if (typeof v === 'string') return v;
  if (!atMost(v.major, MAX_U64) || !atMost(v.minor, MAX_U64) || !atMost(v.patch, MAX_U64)) {
    return `MAJOR, MINOR and PATCH must fit in 64 bits (at most ${MAX_U64})`;
  }
  return v;
}

function parseOrThrow(input: string): SemverVersion {
  const result = parse(input);
  if (typeof result === 'string') throw invalidVersion('crates', input, result);
  return result;
}

/**
 * Cargo's (crates.io) version ordering: strict semver.org 2.0.0 precedence. The semver crate's
 * `Ord` also orders build metadata, but precedence (what requirements and advisories use, §10)
 * ignores it, and crates.io refuses two versions differing only in metadata, so it is ignored.
 */
export const crates: VersionScheme = {
  id: 'crates',
  isValid: (version) => typeof parse(version) !== 'string',
  compare: (a, b) => compareSemverVersions(parseOrThrow(a), parseOrThrow(b)),
};
