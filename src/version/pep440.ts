import { compareBytes, compareDigits, isDigit, isDigits, isLower, MAX_VERSION_LENGTH } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';

/** A PEP 440 version, normalized: numbers as digit strings without leading zeros, labels lower-case. */
export type Pep440Version = {
  readonly epoch: string;
  readonly release: readonly string[];
  readonly pre: { readonly label: 'a' | 'b' | 'rc'; readonly number: string } | undefined;
  readonly post: string | undefined;
  readonly dev: string | undefined;
  /** Local label segments: digit strings (normalized) or lower-case alphanumeric words. */
  readonly local: readonly string[] | undefined;
};

// PEP 440 "Pre-release spelling": alpha, beta, c, pre and preview are alternative spellings.
// Longer spellings come first so "alpha" is not read as "a" followed by junk.
const PRE_LABELS: readonly (readonly [string, 'a' | 'b' | 'rc'])[] = [
  ['alpha', 'a'],
  ['a', 'a'],
  ['beta', 'b'],
  ['b', 'b'],
  ['rc', 'rc'],
  ['c', 'rc'],
  ['preview', 'rc'],
  ['pre', 'rc'],
];
const PRE_WORDS = PRE_LABELS.map(([w]) => w);
// PEP 440 "Post-release spelling": rev and r mean post.
const POST_LABELS: readonly string[] = ['post', 'rev', 'r'];

function isSeparator(c: number): boolean {
  // '-', '_', '.' (PEP 440 "Pre-release separators" and friends)
  return c === 0x2d || c === 0x5f || c === 0x2e;
}

// PEP 440 "Leading and Trailing Whitespace" is ignored; we take the ASCII whitespace set.
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function trimZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 0x30) i++;
  return digits.slice(i);
}

/** A cursor over the lower-cased input; every step is a bounded forward scan, so parsing is linear. */
class Cursor {
  pos = 0;
  constructor(readonly s: string) {}

  at(offset = 0): number {
    const i = this.pos + offset;
    return i < this.s.length ? this.s.charCodeAt(i) : -1;
  }

  digits(): string | undefined {
    const start = this.pos;
    while (isDigit(this.at())) this.pos++;
    return this.pos === start ? undefined : this.s.slice(start, this.pos);
  }

  /** The first of `words` at the cursor (after an optional separator), consuming both. */
  word(words: readonly string[]): string | undefined {
    const skip = isSeparator(this.at()) ? 1 : 0;
    for (const w of words) {
      if (this.s.startsWith(w, this.pos + skip)) {
        this.pos += skip + w.length;
        return w;
      }
    }
    return undefined;
  }

  /**
   * `[-_.]?[0-9]*` after a label. The separator is taken even when no number follows: what comes
   * next may bring its own separator, so "1.0a._dev" reads as 1.0a0.dev0, as the PEP's regular
   * expression reads it.
   */
  labelNumber(): string | undefined {
    if (isSeparator(this.at())) this.pos++;
    return this.digits();
  }
}

/**
 * Parses PEP 440's "Appendix B" grammar by hand (no regular expression, so no backtracking),
 * normalizing as its "Normalization" section describes.
 */
function parse(input: string): Pep440Version | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  let from = 0;
  let to = input.length;
  while (from < to && isSpace(input.charCodeAt(from))) from++;
  while (to > from && isSpace(input.charCodeAt(to - 1))) to--;
  // PEP 440 "Case sensitivity": all ASCII letters compare case-insensitively. Only ASCII is
  // folded: anything else stays and is rejected below.
  const c = new Cursor(input.slice(from, to).replace(/[A-Z]+/g, (m) => m.toLowerCase()));
  if (c.at() === 0x76) c.pos++; // "Preceding v character"
  let first = c.digits();
  if (first === undefined) return 'expected a release number such as 1.0';
  let epoch = '0';
  if (c.at() === 0x21) {
    epoch = trimZeros(first);
    c.pos++;
    first = c.digits();
    if (first === undefined) return 'expected a release number after the epoch "!"';
  }
  const release = [trimZeros(first)];
  while (c.at() === 0x2e && isDigit(c.at(1))) {
    c.pos++;
    release.push(trimZeros(c.digits() ?? '0'));
  }

  let pre: Pep440Version['pre'];
  const preWord = c.word(PRE_WORDS);
  if (preWord !== undefined) {
    const label = PRE_LABELS.find(([w]) => w === preWord)?.[1] ?? 'a';
    pre = { label, number: trimZeros(c.labelNumber() ?? '0') };
  }

  let post: string | undefined;
  if (c.at() === 0x2d && isDigit(c.at(1))) {
    // "Implicit post release number": 1.0-1 is 1.0.post1.
    c.pos++;
    post = trimZeros(c.digits() ?? '0');
  } else if (c.word(POST_LABELS) !== undefined) {
    post = trimZeros(c.labelNumber() ?? '0');
  }

  let dev: string | undefined;
  if (c.word(['dev']) !== undefined) dev = trimZeros(c.labelNumber() ?? '0');

  let local: string[] | undefined;
  if (c.at() === 0x2b) {
    c.pos++;
    local = [];
    for (;;) {
      const start = c.pos;
      while (isDigit(c.at()) || isLower(c.at())) c.pos++;
      if (c.pos === start)
        return 'a local version label needs letters or digits after "+" and each separator';
      const part = c.s.slice(start, c.pos);
      local.push(isDigits(part) ? trimZeros(part) : part);
      if (!isSeparator(c.at())) break;
      c.pos++;
    }
  }
  if (c.pos !== c.s.length) {
    return `unexpected "${c.s.slice(c.pos, c.pos + 10)}" at offset ${c.pos} (expected [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local])`;
  }
  return { epoch, release, pre, post, dev, local };
}

/**
 * Parses and normalizes a PEP 440 version.
 * @throws VersionError VERSION_INVALID naming the input and what was expected.
 */
export function parsePep440(input: string): Pep440Version {
  const v = parse(input);
  if (typeof v === 'string') throw invalidVersion('pep440', input, v);
  return v;
}

function compareRelease(a: readonly string[], b: readonly string[]): number {
  // PEP 440 "Release segment": missing segments are zeros, so 1.0 == 1.0.0.
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const r = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (r !== 0) return r;
  }
  return 0;
}

const PRE_RANK = { a: 0, b: 1, rc: 2 } as const;

/**
 * Where the pre-release part places a version among releases sharing its release segment
 * (PEP 440 "Summary of permitted suffixes and relative ordering"): a bare dev release comes before
 * every pre-release of it, and a version without a pre-release after all of them.
 */
function preKey(v: Pep440Version): readonly [number, number, string] {
  if (v.pre !== undefined) return [1, PRE_RANK[v.pre.label], v.pre.number];
  if (v.post === undefined && v.dev !== undefined) return [0, 0, '0'];
  return [2, 0, '0'];
}

function compareOptional(a: string | undefined, b: string | undefined, absentFirst: boolean): number {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    return (a === undefined) === absentFirst ? -1 : 1;
  }
  return compareDigits(a, b);
}

/**
 * PEP 440 "Local version identifiers": segment by segment, numbers above words, numbers by value,
 * words as ASCII; when one is a prefix of the other the longer is newer.
 */
function compareLocal(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const xNum = isDigits(x);
    const yNum = isDigits(y);
    const r = xNum && yNum ? compareDigits(x, y) : xNum ? 1 : yNum ? -1 : compareBytes(x, y);
    if (r !== 0) return r;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Orders two parsed PEP 440 versions (PEP 440 "Summary of permitted suffixes and relative ordering"). Never throws. */
export function comparePep440Versions(a: Pep440Version, b: Pep440Version): number {
  const epoch = compareDigits(a.epoch, b.epoch);
  if (epoch !== 0) return epoch;
  const release = compareRelease(a.release, b.release);
  if (release !== 0) return release;
  const [pa, qa, na] = preKey(a);
  const [pb, qb, nb] = preKey(b);
  if (pa !== pb) return pa < pb ? -1 : 1;
  if (qa !== qb) return qa < qb ? -1 : 1;
  const preNumber = compareDigits(na, nb);
  if (preNumber !== 0) return preNumber;
  // A post-release comes after the version it follows; a dev release before the one it precedes.
  const post = compareOptional(a.post, b.post, true);
  if (post !== 0) return post;
  const dev = compareOptional(a.dev, b.dev, false);
  if (dev !== 0) return dev;
  // A local version sorts after the public version it is based on.
  if (a.local === undefined || b.local === undefined) {
    return a.local === b.local ? 0 : a.local === undefined ? -1 : 1;
  }
  return compareLocal(a.local, b.local);
}

/**
 * Python package versions (PEP 440), ordered as `packaging.version.Version` orders them; `compare`
 * throws VersionError VERSION_INVALID on invalid input.
 */
export const pep440: VersionScheme = {
  id: 'pep440',
  isValid(version: string): boolean {
    return typeof parse(version) !== 'string';
  },
  compare(a: string, b: string): number {
    return comparePep440Versions(parsePep440(a), parsePep440(b));
  },
};
