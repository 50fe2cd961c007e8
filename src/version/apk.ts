import { compareBytes, compareDigits, isDigit, isLower, MAX_VERSION_LENGTH } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';

// apk-tools (src/version.c) reads a version as a sequence of tokens:
//
//   digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r number}
//
// Each kind may only follow kinds before it in this list, and when two versions agree up to the
// point where one has a token the other lacks, the kinds' positions in the list decide.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NUMBER = 4;
const COMMIT_HASH = 5;
const REVISION = 6;
const END = 7;

type Kind =
  | typeof INITIAL_DIGIT
  | typeof DIGIT
  | typeof LETTER
  | typeof SUFFIX
  | typeof SUFFIX_NUMBER
  | typeof COMMIT_HASH
  | typeof REVISION;

type Token = { readonly kind: Kind; readonly text: string; readonly rank: number };

// Suffix ranks: the pre-release words sort before a version without a suffix (rank 0), the
// others after it, each group in this order.
const SUFFIX_RANKS: ReadonlyMap<string, number> = new Map([
  ['alpha', -4],
  ['beta', -3],
  ['pre', -2],
  ['rc', -1],
  ['cvs', 1],
  ['svn', 2],
  ['git', 3],
  ['hg', 4],
  ['p', 5],
]);

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Splits a version into tokens, or says why it is not one, as apk-tools' validation does. */
function tokenize(input: string): Token[] | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  const tokens: Token[] = [];
  // The grammar position, which is the last token's kind except after a number that follows the
  // letter (see below): that one keeps the letter's position.
  let prev = INITIAL_DIGIT as Kind;
  let i = 0;
  const digitsFrom = (start: number): number => {
    let end = start;
    while (end < input.length && isDigit(input.charCodeAt(end))) end++;
    return end;
  };
  let end = digitsFrom(0);
  if (end === 0) return 'must start with a digit';
  const push = (kind: Kind, text: string, rank = 0): void => {
    tokens.push({ kind, text, rank });
    prev = kind;
  };
  push(INITIAL_DIGIT, input.slice(0, end));
  i = end;
  while (i < input.length) {
    const c = input.charCodeAt(i);
    if (isLower(c)) {
      // One letter, straight after a number ("1.2a"), and nothing but a suffix, hash or revision after it.
      if (prev > DIGIT) return `unexpected letter "${input[i] ?? ''}" at offset ${i}`;
      push(LETTER, input.charAt(i));
      i++;
    } else if (c === 0x2e) {
      if (prev > DIGIT) return `unexpected "." at offset ${i}`;
      end = digitsFrom(i + 1);
      if (end === i + 1) return `"." must be followed by digits (offset ${i})`;
      push(DIGIT, input.slice(i + 1, end));
      i = end;
    } else if (isDigit(c)) {
      end = digitsFrom(i);
      if (prev === SUFFIX) {
        push(SUFFIX_NUMBER, input.slice(i, end));
      } else if (prev === LETTER && tokens[tokens.length - 1]?.kind === LETTER) {
        // apk-tools 2 read digits after the letter as one more number ("6.6.2p1", which Alpine's
        // security database still lists); apk-tools 3 refuses them. We keep the old reading so
        // those versions stay comparable, and allow after it only what may follow the letter.
        tokens.push({ kind: DIGIT, text: input.slice(i, end), rank: 0 });
      } else {
        return `unexpected digit at offset ${i}`;
      }
      i = end;
    } else if (c === 0x5f) {
      if (prev > SUFFIX_NUMBER) return `unexpected "_" at offset ${i}`;
      end = i + 1;
      while (end < input.length && isLower(input.charCodeAt(end))) end++;
      const word = input.slice(i + 1, end);
      const rank = SUFFIX_RANKS.get(word);
      if (rank === undefined) {
        return `unknown suffix "_${word}" (expected _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg or _p)`;
      }
      push(SUFFIX, word, rank);
      i = end;
    } else if (c === 0x7e) {
      if (prev >= COMMIT_HASH) return `unexpected "~" at offset ${i}`;
      end = i + 1;
      while (end < input.length && isHexDigit(input.charCodeAt(end))) end++;
      if (end === i + 1) return `"~" must be followed by a hexadecimal commit hash (offset ${i})`;
      push(COMMIT_HASH, input.slice(i + 1, end));
      i = end;
    } else if (c === 0x2d) {
      if (prev >= REVISION || input.charCodeAt(i + 1) !== 0x72) {
        return `"-" may only start the final "-r<number>" revision (offset ${i})`;
      }
      end = digitsFrom(i + 2);
      if (end === i + 2) return `"-r" must be followed by digits (offset ${i})`;
      push(REVISION, input.slice(i + 2, end));
      i = end;
    } else {
      return `unexpected character "${input[i] ?? ''}" at offset ${i}`;
    }
  }
  return tokens;
}

/** Compares two tokens of the same kind. */
function compareToken(a: Token, b: Token): number {
  switch (a.kind) {
    case DIGIT:
      // A later number with a leading zero on either side compares as text, so 1.05 < 1.5
      // and 8.2.0015 < 8.2.002 (apk-tools follows Gentoo's rule here).
      if (a.text.charCodeAt(0) === 0x30 || b.text.charCodeAt(0) === 0x30) return compareBytes(a.text, b.text);
      return compareDigits(a.text, b.text);
    case INITIAL_DIGIT:
    case SUFFIX_NUMBER:
    case REVISION:
      return compareDigits(a.text, b.text);
    case LETTER:
    case COMMIT_HASH:
      return compareBytes(a.text, b.text);
    case SUFFIX:
      return a.rank === b.rank ? 0 : a.rank < b.rank ? -1 : 1;
  }
}

function compareTokens(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  for (; i < n; i++) {
    const ta = a[i];
    const tb = b[i];
    if (ta === undefined || tb === undefined) break;
    if (ta.kind !== tb.kind) break;
    const r = compareToken(ta, tb);
    if (r !== 0) return r;
  }
  const ta = a[i];
  const tb = b[i];
  const kindA = ta?.kind ?? END;
  const kindB = tb?.kind ?? END;
  if (kindA === kindB) return 0;
  // Equal so far. A pre-release suffix makes its side older (1.2_rc1 < 1.2); otherwise the side
  // whose next token comes later in the grammar is older, the end counting as last:
  // 1.2 < 1.2-r1 < 1.2~cafe < 1.2_p1 < 1.2a < 1.2.1.
  if (ta?.kind === SUFFIX && ta.rank < 0) return -1;
  if (tb?.kind === SUFFIX && tb.rank < 0) return 1;
  return kindA > kindB ? -1 : 1;
}

/**
 * Checks that `input` is an Alpine package version, as `apk version --check` would.
 * @throws VersionError VERSION_INVALID naming the input and what was wrong.
 */
function parseApk(input: string): Token[] {
  const tokens = tokenize(input);
  if (typeof tokens === 'string') throw invalidVersion('apk', input, tokens);
  return tokens;
}

/**
 * Alpine (apk-tools) package versions. Numbers compare by value at any length (apk-tools keeps
 * them in 64 bits and wraps beyond that; no real version has twenty-digit runs). `compare` throws
 * VersionError VERSION_INVALID on invalid input.
 */
export const apk: VersionScheme = {
  id: 'apk',
  isValid(version: string): boolean {
    return typeof tokenize(version) !== 'string';
  },
  compare(a: string, b: string): number {
    return compareTokens(parseApk(a), parseApk(b));
  },
};
