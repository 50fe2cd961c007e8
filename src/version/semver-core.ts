// The Semantic Versioning 2.0.0 grammar and precedence (https://semver.org/spec/v2.0.0.html),
// shared by the npm, Go module and Cargo schemes, which differ only in prefixes and number limits.
import { compareBytes, compareDigits, isAlnum, isDigits, sign } from './chars.js';

/** A version split by the semver.org 2.0.0 grammar; numbers stay digit strings (no size limit). */
export type SemverVersion = {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** Dot-separated pre-release identifiers (§9); empty for a release. */
  readonly prerelease: readonly string[];
  /** Dot-separated build identifiers (§10); ignored by precedence. */
  readonly build: readonly string[];
};

/**
 * Parses `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` with no prefix, returning what was expected
 * when the text does not fit.
 */
export function parseSemverText(text: string): SemverVersion | string {
  const plus = text.indexOf('+');
  const beforeBuild = plus >= 0 ? text.slice(0, plus) : text;
  const hyphen = beforeBuild.indexOf('-');
  const core = hyphen >= 0 ? beforeBuild.slice(0, hyphen) : beforeBuild;
  const numbers = core.split('.');
  if (numbers.length !== 3) return 'MAJOR.MINOR.PATCH (three dot-separated numbers)';
  for (const n of numbers) {
    // §2: non-negative integers without leading zeroes.
    if (!isNumericIdentifier(n)) return 'MAJOR, MINOR and PATCH must be numbers without leading zeros';
  }
  const [major = '', minor = '', patch = ''] = numbers;
  let prerelease: string[] = [];
  if (hyphen >= 0) {
    prerelease = beforeBuild.slice(hyphen + 1).split('.');
    for (const id of prerelease) {
      // §9: non-empty [0-9A-Za-z-] identifiers; numeric ones without leading zeroes.
      if (!isIdentifier(id)) return 'pre-release identifiers must be non-empty [0-9A-Za-z-]';
      if (isDigits(id) && !isNumericIdentifier(id))
        return 'numeric pre-release identifiers must not have leading zeros';
    }
  }
  let build: string[] = [];
  if (plus >= 0) {
    build = text.slice(plus + 1).split('.');
    // §10: non-empty [0-9A-Za-z-] identifiers, leading zeroes allowed.
    if (!build.every(isIdentifier)) return 'build identifiers must be non-empty [0-9A-Za-z-]';
  }
  return { major, minor, patch, prerelease, build };
}

/** Precedence by §11: numbers, then pre-release (a release is higher); build is ignored. */
export function compareSemverVersions(a: SemverVersion, b: SemverVersion): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  // §11.3: a version without pre-release identifiers has higher precedence.
  if (a.length === 0 || b.length === 0) return sign(b.length - a.length);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifier(a[i] ?? '', b[i] ?? '');
    if (c !== 0) return c;
  }
  // §11.4.4: a larger set of identifiers wins when all preceding ones are equal.
  return sign(a.length - b.length);
}

function compareIdentifier(a: string, b: string): number {
  const an = isDigits(a);
  const bn = isDigits(b);
  // §11.4.1–3: numeric identifiers compare numerically and sort below alphanumeric ones, which
  // compare in ASCII order.
  if (an && bn) return compareDigits(a, b);
  if (an !== bn) return an ? -1 : 1;
  return compareBytes(a, b);
}

/** True for `0` or a digit run not starting with `0`. */
export function isNumericIdentifier(s: string): boolean {
  return isDigits(s) && (s.length === 1 || s.charCodeAt(0) !== 0x30);
}

function isIdentifier(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 0x2d) return false;
  }
  return true;
}

/** True when the digit run `n` is at most `max` (both without sign). */
export function atMost(n: string, max: string): boolean {
  return compareDigits(n, max) <= 0;
}
