import { compareBytes, compareDigits, isDigit, MAX_VERSION_LENGTH } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';

// RubyGems' Gem::Version (https://docs.ruby-lang.org/en/master/Gem/Version.html and
// https://guides.rubygems.org/patterns/#prerelease-gems). A version is dot-separated segments
// of digits and letters, optionally followed by `-` and a suffix; each `-` reads as `.pre.`.
// Runs of digits and of letters are separate segments (`1.0.a10` is 1, 0, "a", 10), a letter
// anywhere makes a pre-release, and a letter segment sorts below any number.

// The version grammar Gem::Version accepts: digits first, then `.`-separated alphanumeric
// segments, then an optional `-` suffix. Ruby also trims whitespace and reads "" as "0"; we
// refuse both, since a version string from a lockfile or an advisory never has them.
const GRAMMAR = /^[0-9]+(?:\.[0-9A-Za-z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const SEGMENT = /[0-9]+|[A-Za-z]+/g;

/** A segment: a digit run (kept as text, any length) or a letter run. */
type Segment =
  { readonly number: true; readonly text: string } | { readonly number: false; readonly text: string };

function parse(input: string): Segment[] | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  if (!GRAMMAR.test(input))
    return 'digits, then "."-separated letters and digits, then an optional "-suffix"';
  const segments: Segment[] = [];
  for (const [text] of input.replaceAll('-', '.pre.').matchAll(SEGMENT)) {
    segments.push({ number: isDigit(text.charCodeAt(0)), text });
  }
  return canonical(segments);
}

// Gem::Version#canonical_segments: the numeric release part and the part from the first letter
// segment on each lose their trailing zeros, so `1.0.0` = `1` and `1.0.a.0` = `1.a`.
function canonical(segments: Segment[]): Segment[] {
  const firstLetters = segments.findIndex((s) => !s.number);
  const release = firstLetters < 0 ? segments : segments.slice(0, firstLetters);
  const prerelease = firstLetters < 0 ? [] : segments.slice(firstLetters);
  return [...dropTrailingZeros(release), ...dropTrailingZeros(prerelease)];
}

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0) {
    const last = segments[end - 1];
    if (last === undefined || !last.number || compareDigits(last.text, '0') !== 0) break;
    end--;
  }
  return segments.slice(0, end);
}

const ZERO: Segment = { number: true, text: '0' };

// Gem::Version#<=>: segment by segment, a missing segment counting as 0; a letter segment is
// below a number; letters compare byte-wise, numbers by value.
function compareSegments(a: readonly Segment[], b: readonly Segment[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? ZERO;
    const y = b[i] ?? ZERO;
    if (x.number !== y.number) return x.number ? 1 : -1;
    const c = x.number ? compareDigits(x.text, y.text) : compareBytes(x.text, y.text);
    if (c !== 0) return c;
  }
  return 0;
}

function parseOrThrow(input: string): Segment[] {
  const result = parse(input);
  if (typeof result === 'string') throw invalidVersion('rubygems', input, result);
  return result;
}

/** RubyGems' version order (Gem::Version). */
export const rubygems: VersionScheme = {
  id: 'rubygems',
  isValid: (version) => typeof parse(version) !== 'string',
  compare: (a, b) => compareSegments(parseOrThrow(a), parseOrThrow(b)),
};
