import { MAX_VERSION_LENGTH } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';
import { atMost, compareSemverVersions, parseSemverText } from './semver-core.js';
import type { SemverVersion } from './semver-core.js';

// npm's semver refuses MAJOR, MINOR or PATCH above Number.MAX_SAFE_INTEGER, since it keeps them
// as JavaScript numbers; versions npm cannot install need no ordering here.
const MAX_SAFE_INTEGER = String(Number.MAX_SAFE_INTEGER);

/**
 * Parses an npm package version: semver.org 2.0.0, after one optional `=` and one optional `v`
 * (the prefixes npm strips, as in `=v1.2.3`), with numbers up to 2^53 - 1.
 *
 * Stricter than npm's loose mode on purpose: no surrounding whitespace, no leading zeros and no
 * pre-release without its hyphen, since registry versions never have them.
 * @throws VersionError VERSION_INVALID naming the input and what was expected.
 */
export function parseSemver(input: string): SemverVersion {
  const result = parse(input);
  if (typeof result === 'string') throw invalidVersion('semver', input, result);
  return result;
}

function parse(input: string): SemverVersion | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  let text = input;
  if (text.startsWith('=')) text = text.slice(1);
  if (text.startsWith('v')) text = text.slice(1);
  const v = parseSemverText(text);
  if (typeof v === 'string') return v;
  if (
    !atMost(v.major, MAX_SAFE_INTEGER) ||
    !atMost(v.minor, MAX_SAFE_INTEGER) ||
    !atMost(v.patch, MAX_SAFE_INTEGER)
  ) {
    return `MAJOR, MINOR and PATCH must be at most ${MAX_SAFE_INTEGER}`;
  }
  return v;
}

/** npm's version ordering: semver.org 2.0.0 precedence, build metadata ignored. */
export const semver: VersionScheme = {
  id: 'semver',
  isValid: (version) => typeof parse(version) !== 'string',
  compare: (a, b) => compareSemverVersions(parseSemver(a), parseSemver(b)),
};
