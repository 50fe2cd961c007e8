import { compareDigits, isAlnum, isAlpha, isDigit, isDigits, MAX_VERSION_LENGTH } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';

/** An RPM version as its three header fields: `[epoch:]version[-release]`. */
export type RpmEvr = {
  /** Absent means 0. */
  readonly epoch?: number | string | undefined;
  readonly version: string;
  /** Absent sorts before any release (rpm's rpmverCmp). */
  readonly release?: string | undefined;
};

const TILDE = 0x7e;
const CARET = 0x5e;

/**
 * Checks a version or release field: the characters rpmbuild accepts in the Version and Release
 * tags apart from macro syntax (letters, digits, `. _ + ~ ^`), with at least one letter or digit.
 * rpm itself would order a field made only of separators, but it compares equal to an empty one,
 * which rpm rejects; such a field is garbage.
 */
function fieldProblem(field: 'version' | 'release', text: string): string | undefined {
  if (text.length === 0) return `the ${field} is empty`;
  let alnum = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isAlnum(c)) alnum = true;
    // '.', '_', '+'
    else if (c !== 0x2e && c !== 0x5f && c !== 0x2b && c !== TILDE && c !== CARET) {
      return `the ${field} may hold only letters, digits and . _ + ~ ^ (found "${text[i] ?? ''}")`;
    }
  }
  return alnum ? undefined : `the ${field} has no letter or digit`;
}

type Parsed = { epoch: string; version: string; release: string | undefined };

/**
 * Splits `[epoch:]version[-release]` as rpm's parseEVR does (the epoch is a leading run of digits
 * ended by `:`, the release follows the last `-`), then checks each part.
 */
function parse(input: string): Parsed | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  let start = 0;
  while (start < input.length && isDigit(input.charCodeAt(start))) start++;
  let epoch = '0';
  if (input.charCodeAt(start) === 0x3a) {
    if (start === 0) return 'the epoch before ":" is empty';
    epoch = input.slice(0, start);
    start++;
  } else {
    start = 0;
  }
  const rest = input.slice(start);
  if (rest.includes(':')) return 'a ":" may only end a numeric epoch';
  const hyphen = rest.lastIndexOf('-');
  const version = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const release = hyphen >= 0 ? rest.slice(hyphen + 1) : undefined;
  const problem =
    fieldProblem('version', version) ??
    (release === undefined ? undefined : fieldProblem('release', release));
  return problem ?? { epoch, version, release };
}

/**
 * rpmvercmp (rpmio/rpmvercmp.c): separators are skipped; `~` sorts before anything, even the end;
 * `^` sorts after the end but before any further segment; then maximal runs of digits or of
 * letters compare pairwise, digits by value, letters as ASCII, and a numeric run beats an
 * alphabetic one; when one side runs out, the side with a segment left is newer.
 */
function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const separator = (c: number): boolean => !isAlnum(c) && c !== TILDE && c !== CARET;
  for (;;) {
    while (i < a.length && separator(a.charCodeAt(i))) i++;
    while (j < b.length && separator(b.charCodeAt(j))) j++;
    const ca = i < a.length ? a.charCodeAt(i) : 0;
    const cb = j < b.length ? b.charCodeAt(j) : 0;
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (ca === 0) return -1;
      if (cb === 0) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === 0 || cb === 0) return ca === cb ? 0 : ca === 0 ? -1 : 1;
    const numeric = isDigit(ca);
    const inSegment = numeric ? isDigit : isAlpha;
    const startA = i;
    const startB = j;
    while (i < a.length && inSegment(a.charCodeAt(i))) i++;
    while (j < b.length && inSegment(b.charCodeAt(j))) j++;
    // The segments differ in kind: a number is newer than letters.
    if (j === startB) return numeric ? 1 : -1;
    const segA = a.slice(startA, i);
    const segB = b.slice(startB, j);
    const r = numeric ? compareDigits(segA, segB) : segA === segB ? 0 : segA < segB ? -1 : 1;
    if (r !== 0) return r;
  }
}

function compareParsed(a: Parsed, b: Parsed): number {
  const epoch = compareDigits(a.epoch, b.epoch);
  if (epoch !== 0) return epoch;
  const version = rpmvercmp(a.version, b.version);
  if (version !== 0) return version;
  if (a.release === undefined || b.release === undefined) {
    return a.release === b.release ? 0 : a.release === undefined ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

/**
 * Parses an RPM `[epoch:]version[-release]` string into its fields.
 * @throws VersionError VERSION_INVALID naming the input and what was wrong.
 */
export function parseRpmEvr(input: string): RpmEvr {
  const p = parse(input);
  if (typeof p === 'string') throw invalidVersion('rpm', input, p);
  const epoch = Number(p.epoch);
  return {
    epoch: Number.isSafeInteger(epoch) ? epoch : p.epoch,
    version: p.version,
    ...(p.release === undefined ? {} : { release: p.release }),
  };
}

function fromFields(evr: RpmEvr): Parsed {
  const epoch = evr.epoch === undefined ? '0' : String(evr.epoch);
  const shown = `${evr.epoch === undefined ? '' : `${epoch}:`}${evr.version}${evr.release === undefined ? '' : `-${evr.release}`}`;
  if (!isDigits(epoch)) throw invalidVersion('rpm', shown, 'the epoch must be a non-negative integer');
  const problem =
    fieldProblem('version', evr.version) ??
    (evr.version.includes('-') ? 'the version may not contain "-"' : undefined) ??
    (evr.release === undefined ? undefined : fieldProblem('release', evr.release)) ??
    (evr.release?.includes('-') === true ? 'the release may not contain "-"' : undefined);
  if (problem !== undefined) throw invalidVersion('rpm', shown, problem);
  if (shown.length > MAX_VERSION_LENGTH)
    throw invalidVersion('rpm', shown, `at most ${MAX_VERSION_LENGTH} characters`);
  return { epoch, version: evr.version, release: evr.release };
}

/**
 * Orders two RPM versions given as separate epoch, version and release fields (as the rpm
 * database stores them): epoch (absent = 0), then version, then release, where an absent release
 * sorts before any release.
 * @throws VersionError VERSION_INVALID when a field is not valid.
 */
export function compareRpmEvr(a: RpmEvr, b: RpmEvr): number {
  return compareParsed(fromFields(a), fromFields(b));
}

/**
 * RPM versions `[epoch:]version[-release]`, ordered as rpm 4.18's rpm.vercmp orders them; `compare`
 * throws VersionError VERSION_INVALID on invalid input.
 */
export const rpm: VersionScheme = {
  id: 'rpm',
  isValid(version: string): boolean {
    return typeof parse(version) !== 'string';
  },
  compare(a: string, b: string): number {
    const pa = parse(a);
    if (typeof pa === 'string') throw invalidVersion('rpm', a, pa);
    const pb = parse(b);
    if (typeof pb === 'string') throw invalidVersion('rpm', b, pb);
    return compareParsed(pa, pb);
  },
};
