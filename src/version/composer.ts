import { compareBytes, compareDigits, isDigit, MAX_VERSION_LENGTH, sign } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';

// Composer (Packagist) versions, as composer/semver's VersionParser::normalize reads them and
// its Comparator orders them (https://getcomposer.org/doc/articles/versions.md):
//
// - A version is normalized first: an optional `v`, one to four numbers padded to four
//   (`1.2` is 1.2.0.0), or a date-like number run (`20240131`, `2024.01.31`), then an optional
//   stability suffix (`-beta2`, `RC1`, `.p1`, spelled with `_`, `.`, `-` or nothing) and an
//   optional `-dev`. Build metadata (`+...`) is dropped. `2.x-dev` is the numbered branch
//   2.9999999.9999999.9999999-dev; `dev-name` (and the bare `master`, `trunk`, `default`) are
//   named branches. Anything else is not a Composer version.
// - Normalized versions are then ordered the way PHP's version_compare orders them
//   (https://www.php.net/manual/function.version-compare.php): parts split at `.`, `-` and
//   digit/letter boundaries, numbers by value, and the stabilities in the order
//   dev < alpha < beta < RC < (a number) < patch. A version that runs out of parts is below the
//   other when the other's next part is a number or patch, and above it when that part is dev,
//   alpha, beta or RC: so 1.0-dev < 1.0-alpha1 < 1.0-RC1 < 1.0 < 1.0-patch1.
// - Named branches sort below every numbered version (version_compare puts `dev` below any
//   number) and, among themselves, by name: Composer treats two branches as equal only when
//   their names are identical, so only identical names compare as 0 here.
//
// PHP compares numbers as C longs, saturating beyond 2^63 - 1; numbers here compare exactly.

const MODIFIER = '[._-]?(?:(stable|beta|b|rc|alpha|a|patch|pl|p)([.-]?\\d+(?:[.-]\\d+)*)?)?([.-]?dev)?';
const CLASSICAL = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
const DATE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)${MODIFIER}$`, 'i');
const BUILD = /^([^,\s+]+)\+\S+$/;
const DEV_SUFFIX = /^(.*?)[.-]?dev$/i;
const NUMBERED_BRANCH = /^v?(\d+)(\.(?:\d+|[x*]))?(\.(?:\d+|[x*]))?(\.(?:\d+|[x*]))?$/i;
const NAMED_BRANCHES = new Set(['master', 'trunk', 'default']);

const STABILITY: ReadonlyMap<string, string> = new Map([
  ['a', 'alpha'],
  ['alpha', 'alpha'],
  ['b', 'beta'],
  ['beta', 'beta'],
  ['rc', 'RC'],
  ['p', 'patch'],
  ['pl', 'patch'],
  ['patch', 'patch'],
]);

function normalize(input: string): string | { readonly reason: string } {
  if (input.length === 0) return { reason: 'an empty string is not a version' };
  if (input.length > MAX_VERSION_LENGTH) return { reason: `at most ${MAX_VERSION_LENGTH} characters` };
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return { reason: 'printable ASCII without whitespace' };
  }
  if (NAMED_BRANCHES.has(input)) return `dev-${input}`;
  if (input.slice(0, 4).toLowerCase() === 'dev-') {
    return input.length > 4 ? `dev-${input.slice(4)}` : { reason: 'a branch name after "dev-"' };
  }
  const version = BUILD.exec(input)?.[1] ?? input;
  const classical = CLASSICAL.exec(version);
  if (classical) {
    const [, major = '', minor, patch, fourth] = classical;
    return withModifier(`${major}${minor ?? '.0'}${patch ?? '.0'}${fourth ?? '.0'}`, classical.slice(5));
  }
  const date = DATE.exec(version);
  if (date) return withModifier((date[1] ?? '').replace(/\D/g, '.'), date.slice(2));
  const branch = DEV_SUFFIX.exec(version);
  const numbered = branch ? NUMBERED_BRANCH.exec(branch[1] ?? '') : undefined;
  if (numbered) {
    // Groups that did not take part are undefined at run time, whatever RegExpExecArray says.
    const groups: (string | undefined)[] = numbered.slice(2);
    const parts = groups.map((p) => (p ?? '.x').toLowerCase().replace('*', 'x').replace('x', '9999999'));
    return `${numbered[1] ?? ''}${parts.join('')}-dev`;
  }
  return {
    reason: 'a Composer version (1.2.3, v1.2.3-beta2, 1.2.3.4-RC1, 2.x-dev) or a branch (dev-name)',
  };
}

function withModifier(numbers: string, [stability, digits, dev]: (string | undefined)[]): string {
  if (stability === undefined) return dev === undefined ? numbers : `${numbers}-dev`;
  const lower = stability.toLowerCase();
  // `-stable` says there is no pre-release; Composer then drops the rest of the suffix.
  if (lower === 'stable') return numbers;
  const n = digits === undefined ? '' : digits.replace(/^[.-]/, '');
  return `${numbers}-${STABILITY.get(lower) ?? lower}${n}${dev === undefined ? '' : '-dev'}`;
}

/**
 * Composer's normalized form of a version (`v1.2-beta2` → `1.2.0.0-beta2`, `2.x-dev` →
 * `2.9999999.9999999.9999999-dev`, `dev-main` unchanged), as composer/semver's VersionParser.
 * @throws VersionError VERSION_INVALID naming the input and what was expected.
 */
export function normalizeComposerVersion(input: string): string {
  const result = normalize(input);
  if (typeof result !== 'string') throw invalidVersion('composer', input, result.reason);
  return result;
}

// version_compare's special forms, with a number ranked between RC and patch.
const RANK: ReadonlyMap<string, number> = new Map([
  ['dev', 0],
  ['alpha', 1],
  ['beta', 2],
  ['RC', 3],
  ['patch', 5],
]);
const NUMBER_RANK = 4;

function parts(normalized: string): string[] {
  return normalized.match(/\d+|[A-Za-z]+/g) ?? [];
}

function rankOf(part: string): number {
  return isDigit(part.charCodeAt(0)) ? NUMBER_RANK : (RANK.get(part) ?? -1);
}

function compareNormalized(a: string, b: string): number {
  const aBranch = a.startsWith('dev-');
  const bBranch = b.startsWith('dev-');
  if (aBranch || bBranch) return aBranch && bBranch ? compareBytes(a, b) : aBranch ? -1 : 1;
  const pa = parts(a);
  const pb = parts(b);
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const rx = rankOf(x);
    const ry = rankOf(y);
    const c = rx === NUMBER_RANK && ry === NUMBER_RANK ? compareDigits(x, y) : sign(rx - ry);
    if (c !== 0) return c;
  }
  // The longer version's next part decides against "nothing", which ranks as a number would.
  if (pa.length > n) return sign(rankOf(pa[n] ?? '') - NUMBER_RANK) || 1;
  if (pb.length > n) return -(sign(rankOf(pb[n] ?? '') - NUMBER_RANK) || 1);
  return 0;
}

/** Composer's version order: composer/semver normalization, then PHP version_compare. */
export const composer: VersionScheme = {
  id: 'composer',
  isValid: (version) => typeof normalize(version) === 'string',
  compare: (a, b) => compareNormalized(normalizeComposerVersion(a), normalizeComposerVersion(b)),
};
