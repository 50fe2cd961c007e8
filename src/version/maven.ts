import { compareBytes, compareDigits, isDigit, MAX_VERSION_LENGTH, sign } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';

// Maven's ComparableVersion (maven-artifact 3.x, described in the POM reference's "Version Order
// Specification", https://maven.apache.org/pom.html#version-order-specification). A version is
// a list of items: numbers, qualifiers (strings) and sub-lists. A `-`, or a switch between
// digits and letters, opens a sub-list; a `.` separates items in the same list. Numbers beat
// sub-lists, which beat qualifiers, so `1.1 > 1-1 > 1-sp`. Maven 4 reworked this (MNG-7644,
// combination items); this is the 3.x order that the POM reference and osv.dev describe.

type Item =
  | { readonly kind: 'number'; readonly digits: string }
  | { readonly kind: 'qualifier'; readonly value: string }
  | { readonly kind: 'list'; readonly items: Item[] };

const ZERO: Item = { kind: 'number', digits: '0' };

// Known qualifiers in ascending order; the empty qualifier is a release. Unknown qualifiers
// come after all of these (so after `sp`), in lexical order.
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_RANK = QUALIFIERS.indexOf('');
const UNKNOWN_RANK = QUALIFIERS.length;
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['ga', ''],
  ['final', ''],
  ['release', ''],
  ['cr', 'rc'],
]);
// `a1`, `b2`, `m3`: a one-letter qualifier directly followed by a number.
const SHORT_BEFORE_DIGIT: ReadonlyMap<string, string> = new Map([
  ['a', 'alpha'],
  ['b', 'beta'],
  ['m', 'milestone'],
]);

// Maven's model validator refuses these in a version (they are unsafe in repository paths);
// whitespace and control characters are refused too, and non-ASCII, whose digit and case
// rules would depend on Unicode tables Maven and JavaScript do not share.
const ILLEGAL = new Set('\\/:"<>|?*');

function qualifier(raw: string, followedByDigit: boolean): Item {
  const expanded = followedByDigit ? (SHORT_BEFORE_DIGIT.get(raw) ?? raw) : raw;
  return { kind: 'qualifier', value: ALIASES.get(expanded) ?? expanded };
}

function token(isNumber: boolean, text: string): Item {
  return isNumber ? { kind: 'number', digits: text } : qualifier(text, false);
}

function parse(input: string): Item | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || ILLEGAL.has(input.charAt(i))) {
      return 'printable ASCII without whitespace or any of \\ / : " < > | ? *';
    }
  }
  const text = input.toLowerCase();
  const root: Item[] = [];
  const lists: Item[][] = [root];
  let list = root;
  const openList = (): void => {
    const next: Item[] = [];
    list.push({ kind: 'list', items: next });
    lists.push(next);
    list = next;
  };
  let inNumber = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '.' || ch === '-') {
      // An empty token (`1..2`, `1-.1`, a leading separator) stands for 0.
      list.push(i === start ? ZERO : token(inNumber, text.slice(start, i)));
      start = i + 1;
      if (ch === '-') openList();
    } else if (isDigit(text.charCodeAt(i))) {
      if (!inNumber && i > start) {
        list.push(qualifier(text.slice(start, i), true));
        start = i;
        openList();
      }
      inNumber = true;
    } else {
      if (inNumber && i > start) {
        list.push(token(true, text.slice(start, i)));
        start = i;
        openList();
      }
      inNumber = false;
    }
  }
  if (text.length > start) list.push(token(inNumber, text.slice(start)));
  // Trim each list from the innermost out, so an emptied sub-list is itself trimmed.
  for (let i = lists.length - 1; i >= 0; i--) trimTrailingNulls(lists[i] ?? []);
  return { kind: 'list', items: root };
}

// A null item (0, a release qualifier, an empty list) at the end of a list adds nothing.
// Trimming walks back over non-null sub-lists too, so `1.0.0-foo` keeps only `1` before its
// sub-list: that is what makes `1-foo` and `1.0.0-foo` equal.
function trimTrailingNulls(items: Item[]): void {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item === undefined) continue;
    if (isNull(item)) items.splice(i, 1);
    else if (item.kind !== 'list') break;
  }
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case 'number':
      return compareDigits(item.digits, '0') === 0;
    case 'qualifier':
      return item.value === '';
    case 'list':
      return item.items.length === 0;
  }
}

function rank(q: string): number {
  const i = QUALIFIERS.indexOf(q);
  return i < 0 ? UNKNOWN_RANK : i;
}

function compareQualifiers(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return sign(ra - rb);
  return ra === UNKNOWN_RANK ? compareBytes(a, b) : 0;
}

// `b === undefined` is the padding of a shorter list: it behaves as 0, a release qualifier or
// an empty list, whichever matches the other side.
function compareItems(a: Item, b: Item | undefined): number {
  switch (a.kind) {
    case 'number':
      if (b === undefined) return isNull(a) ? 0 : 1;
      if (b.kind === 'number') return compareDigits(a.digits, b.digits);
      return 1;
    case 'qualifier':
      if (b === undefined) return sign(rank(a.value) - RELEASE_RANK);
      if (b.kind === 'qualifier') return compareQualifiers(a.value, b.value);
      return -1;
    case 'list':
      if (b === undefined) {
        // Every item counts against padding, not just the first (MNG-6964), or `1-0.alpha`
        // and `1-0.beta` would both equal `1` while differing from each other.
        for (const item of a.items) {
          const c = compareItems(item, undefined);
          if (c !== 0) return c;
        }
        return 0;
      }
      if (b.kind === 'number') return -1;
      if (b.kind === 'qualifier') return 1;
      return compareLists(a.items, b.items);
  }
}

function compareLists(a: readonly Item[], b: readonly Item[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    const c = x === undefined ? (y === undefined ? 0 : -compareItems(y, undefined)) : compareItems(x, y);
    if (c !== 0) return c;
  }
  return 0;
}

function parseOrThrow(input: string): Item {
  const result = parse(input);
  if (typeof result === 'string') throw invalidVersion('maven', input, result);
  return result;
}

/** Maven's version order (ComparableVersion, 3.x), case-insensitive. */
export const maven: VersionScheme = {
  id: 'maven',
  isValid: (version) => typeof parse(version) !== 'string',
  compare: (a, b) => compareItems(parseOrThrow(a), parseOrThrow(b)),
};
