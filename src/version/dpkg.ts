import { compareDigits, isAlnum, isAlpha, isDigit, isDigits, MAX_VERSION_LENGTH, sign } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';

/** A Debian version split into its three parts (Debian Policy 5.6.12). */
export type DpkgVersion = {
  /** 0 when the version has no epoch. */
  readonly epoch: number;
  readonly upstream: string;
  /** `undefined` for a native package (no hyphen); it then compares like `0`. */
  readonly revision: string | undefined;
};

// dpkg keeps the epoch in a C int and rejects anything above INT_MAX (lib/dpkg/parsehelp.c).
const MAX_EPOCH = 2147483647;

const TILDE = 0x7e;

/**
 * Parses a Debian version as dpkg's `parseversion` does, treating its warnings as errors.
 *
 * Policy 5.6.12 lets the upstream part hold alphanumerics and `. + ~ -`; dpkg also accepts `:`
 * there once an epoch is present (the first colon always ends the epoch), so we do too, which
 * keeps every version dpkg installs without complaint orderable. Where dpkg only warns (upstream
 * not starting with a digit, a character outside those sets) it still orders the string, but
 * we refuse it: a comparator must not order what the format does not define. Whitespace, which
 * dpkg trims from the ends, is refused anywhere, and so are signs in the epoch (dpkg reads it
 * with strtol).
 * @throws VersionError VERSION_INVALID naming the input and what was expected.
 */
export function parseDpkgVersion(input: string): DpkgVersion {
  const result = parse(input);
  if (typeof result === 'string') throw invalidVersion('dpkg', input, result);
  return result;
}

function parse(input: string): DpkgVersion | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  let rest = input;
  let epoch = 0;
  const colon = input.indexOf(':');
  if (colon >= 0) {
    const epochText = input.slice(0, colon);
    if (!isDigits(epochText)) return 'the epoch before ":" must be a non-empty decimal number';
    epoch = Number(epochText);
    if (epoch > MAX_EPOCH) return `the epoch must be at most ${MAX_EPOCH}`;
    rest = input.slice(colon + 1);
    if (rest.length === 0) return 'nothing after the epoch colon';
  }
  // Policy 5.6.12: the revision is everything after the last hyphen.
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : undefined;
  if (upstream.length === 0) return 'the upstream version is empty';
  if (revision?.length === 0) return 'the revision after the last "-" is empty';
  if (!isDigit(upstream.charCodeAt(0))) return 'the upstream version must start with a digit';
  for (let i = 0; i < upstream.length; i++) {
    const c = upstream.charCodeAt(i);
    // '.', '+', '~', '-', ':'
    if (!isAlnum(c) && c !== 0x2e && c !== 0x2b && c !== TILDE && c !== 0x2d && c !== 0x3a) {
      return `the upstream version may hold only letters, digits and . + ~ - : (found "${upstream[i] ?? ''}")`;
    }
  }
  if (revision !== undefined) {
    for (let i = 0; i < revision.length; i++) {
      const c = revision.charCodeAt(i);
      if (!isAlnum(c) && c !== 0x2e && c !== 0x2b && c !== TILDE) {
        return `the revision may hold only letters, digits and . + ~ (found "${revision[i] ?? ''}")`;
      }
    }
  }
  return { epoch, upstream, revision };
}

/**
 * The weight of one character in the non-digit part of a version (Policy 5.6.12): `~` sorts
 * before everything, even the end of the part; then the end; then letters; then everything else,
 * each class in ASCII order.
 */
function weight(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (c === TILDE) return -1;
  if (isAlpha(c)) return c;
  return c + 256;
}

/**
 * Compares an upstream version or a revision (Policy 5.6.12): alternately the leading non-digit
 * run, character by character with `weight`, then the leading digit run by numeric value (an
 * absent run counts as 0).
 */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const wa = weight(a, i);
      const wb = weight(b, j);
      if (wa !== wb) return wa < wb ? -1 : 1;
      i++;
      j++;
    }
    const startA = i;
    const startB = j;
    while (i < a.length && isDigit(a.charCodeAt(i))) i++;
    while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    const byValue = compareDigits(
      startA === i ? '0' : a.slice(startA, i),
      startB === j ? '0' : b.slice(startB, j),
    );
    if (byValue !== 0) return byValue;
  }
  return 0;
}

/** Orders two parsed Debian versions: epoch, then upstream, then revision (Policy 5.6.12). Never throws. */
export function compareDpkgVersions(a: DpkgVersion, b: DpkgVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const upstream = compareFragment(a.upstream, b.upstream);
  if (upstream !== 0) return upstream;
  // An absent revision compares as "0" (Policy 5.6.12: "absence ... is equivalent to ... 0").
  return sign(compareFragment(a.revision ?? '0', b.revision ?? '0'));
}

/**
 * Debian package versions, ordered as dpkg orders them; `compare` throws VersionError
 * VERSION_INVALID on invalid input.
 */
export const dpkg: VersionScheme = {
  id: 'dpkg',
  isValid(version: string): boolean {
    return typeof parse(version) !== 'string';
  },
  compare(a: string, b: string): number {
    return compareDpkgVersions(parseDpkgVersion(a), parseDpkgVersion(b));
  },
};
