import { redactSecret } from '../core/index.js';
import { BUILTIN_SECRET_RULES } from './rules.js';
import type { SecretFinding, SecretRule, SecretSpan } from './types.js';

/** Options for {@link scanText} and {@link scanBuffer}. */
export type ScanTextOptions = {
  /** Reported on every finding; defaults to the empty string. */
  readonly path?: string;
  /** Rules to run, most specific first; defaults to {@link BUILTIN_SECRET_RULES}. */
  readonly rules?: readonly SecretRule[];
  /** Only the first `maxBytes` characters are scanned; defaults to {@link DEFAULT_MAX_SCAN_BYTES}. */
  readonly maxBytes?: number;
};

/** The most text one call scans unless told otherwise (64 MiB). */
export const DEFAULT_MAX_SCAN_BYTES = 64 * 1024 * 1024;

// Long lines (minified code, base64 blobs) are scanned in windows of this many characters that
// overlap by WINDOW_OVERLAP, so every regex runs on bounded input and a secret that straddles a
// window edge is still seen whole by the next window.
const WINDOW = 4096;
const WINDOW_OVERLAP = 1024;
// How far into a file the NUL-byte sniff looks, as git and grep do.
const BINARY_SNIFF_BYTES = 8000;

type RawMatch = { readonly ruleIndex: number; readonly start: number; readonly end: number };

/**
 * Scans text for secrets and returns findings in text order, each with a redacted preview
 * only. Never throws for any input.
 */
export function scanText(text: string, options: ScanTextOptions = {}): SecretFinding[] {
  const rules = options.rules ?? BUILTIN_SECRET_RULES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SCAN_BYTES;
  const input = text.length > maxBytes ? text.slice(0, maxBytes) : text;
  const lineStarts = computeLineStarts(input);
  const raw: RawMatch[] = [];

  const lineRules: { rule: SecretRule & { kind: 'line' }; index: number }[] = [];
  const lowerText = toAsciiLower(input);
  rules.forEach((rule, index) => {
    if (rule.kind === 'line') lineRules.push({ rule, index });
    else if (hasKeyword(lowerText, rule.keywords)) {
      for (const span of rule.match(input)) raw.push({ ruleIndex: index, ...span });
    }
  });

  // The prefilter: find each keyword with indexOf over the whole text and scan only the lines
  // it occurs in, with only the rules it belongs to.
  for (const { rule, index } of lineRules) {
    for (const i of linesWithKeywords(lowerText, rule.keywords, lineStarts)) {
      const start = lineStarts[i] ?? 0;
      const next = lineStarts[i + 1];
      const end = next === undefined ? input.length : next - 1;
      for (let w = start; w < end; w += WINDOW - WINDOW_OVERLAP) {
        const wEnd = Math.min(end, w + WINDOW);
        const whole = w === start && wEnd === end;
        if (whole || hasKeyword(lowerText.slice(w, wEnd), rule.keywords)) {
          for (const span of rule.match(input.slice(w, wEnd))) {
            raw.push({ ruleIndex: index, start: w + span.start, end: w + span.end });
          }
        }
        if (wEnd === end) break;
      }
    }
  }

  const path = options.path ?? '';
  return selectMatches(raw, rules).map((m) => toFinding(m, rules, input, lineStarts, path));
}

/**
 * Scans bytes for secrets: content with a NUL byte near its start is binary and yields no
 * findings; the rest is decoded as UTF-8 (invalid sequences replaced) and scanned as text.
 */
export function scanBuffer(bytes: Uint8Array, options: ScanTextOptions = {}): SecretFinding[] {
  if (isBinary(bytes)) return [];
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SCAN_BYTES;
  const slice = bytes.length > maxBytes ? bytes.subarray(0, maxBytes) : bytes;
  return scanText(new TextDecoder('utf-8').decode(slice), options);
}

/** True when the first few kilobytes contain a NUL byte (the way git tells binary files). */
export function isBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

/**
 * Masks every finding's span in `text` with its redacted form, for display. `text` is the
 * scanned text, or a slice of it that starts at line `firstLine` (1 by default), e.g. one line.
 */
export function redactText(
  text: string,
  findings: readonly SecretFinding[],
  options: { readonly firstLine?: number } = {},
): string {
  const firstLine = options.firstLine ?? 1;
  const lineStarts = computeLineStarts(text);
  const spans: SecretSpan[] = [];
  for (const f of findings) {
    const start = offsetOf(lineStarts, f.line - firstLine, f.column - 1, text.length);
    const end = offsetOf(lineStarts, f.endLine - firstLine, f.endColumn - 1, text.length);
    if (start !== undefined && end !== undefined && end > start) spans.push({ start, end });
  }
  spans.sort((a, b) => b.start - a.start);
  let out = text;
  let limit = Number.POSITIVE_INFINITY;
  for (const s of spans) {
    if (s.end > limit) continue; // overlaps a span already masked
    out = `${out.slice(0, s.start)}${redactSecret(out.slice(s.start, s.end))}${out.slice(s.end)}`;
    limit = s.start;
  }
  return out;
}

function offsetOf(
  lineStarts: readonly number[],
  lineIndex: number,
  column: number,
  length: number,
): number | undefined {
  const start = lineStarts[lineIndex];
  if (start === undefined) return undefined;
  return Math.min(start + column, length);
}

// Lower-cases ASCII letters only, so offsets in the result are offsets in the input (full
// Unicode lower-casing can change the length of a string). Keywords are ASCII.
function toAsciiLower(text: string): string {
  const lower = text.toLowerCase();
  return lower.length === text.length ? lower : text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

// Indexes (0-based, ascending, unique) of the lines in which any keyword occurs.
function linesWithKeywords(
  lower: string,
  keywords: readonly string[],
  lineStarts: readonly number[],
): number[] {
  if (keywords.length === 0 || keywords.includes('')) return lineStarts.map((_, i) => i);
  // One regex search for all of a rule's keywords: the leftmost hit of any of them is all a
  // line needs, and the search resumes at the next line, so lines come out in order, once
  // each. (One indexOf pass per keyword, then a sort, was about twice as slow over the
  // bench's mixed-text corpus: see bench/secrets.subject.ts.)
  const re = keywordRegExp(keywords);
  const lines: number[] = [];
  re.lastIndex = 0;
  // test() rather than exec(): no match object to allocate; lastIndex is then the hit's end.
  while (re.test(lower)) {
    const line = lineIndexOf(lineStarts, re.lastIndex - 1);
    lines.push(line);
    const next = lineStarts[line + 1];
    if (next === undefined) break;
    re.lastIndex = next;
  }
  return lines;
}

// Compiled once per keyword list (rules are long-lived constants).
const keywordRegExps = new WeakMap<readonly string[], RegExp>();

function keywordRegExp(keywords: readonly string[]): RegExp {
  let re = keywordRegExps.get(keywords);
  if (re === undefined) {
    re = new RegExp(keywords.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    keywordRegExps.set(keywords, re);
  }
  return re;
}

function hasKeyword(lower: string, keywords: readonly string[]): boolean {
  if (keywords.length === 0) return true;
  for (const k of keywords) if (lower.includes(k)) return true;
  return false;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

// Keeps one finding per stretch of text: rules earlier in the list win over later ones (the
// generic rule is last), and duplicates from overlapping windows collapse.
function selectMatches(raw: readonly RawMatch[], rules: readonly SecretRule[]): RawMatch[] {
  const priority = (m: RawMatch): number =>
    (rules[m.ruleIndex]?.generic === true ? rules.length : 0) + m.ruleIndex;
  const ordered = [...raw].sort((a, b) => priority(a) - priority(b) || a.start - b.start);
  const kept: RawMatch[] = [];
  // Accepted spans sorted by start, for a binary-search overlap check.
  const accepted: RawMatch[] = [];
  for (const m of ordered) {
    if (overlapsAny(accepted, m)) continue;
    insertSorted(accepted, m);
    kept.push(m);
  }
  return kept.sort((a, b) => a.start - b.start || a.ruleIndex - b.ruleIndex);
}

function lowerBound(sorted: readonly RawMatch[], start: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid]?.start ?? 0) < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function overlapsAny(sorted: readonly RawMatch[], m: RawMatch): boolean {
  const i = lowerBound(sorted, m.start);
  const after = sorted[i];
  if (after !== undefined && after.start < m.end) return true;
  const before = sorted[i - 1];
  return before !== undefined && before.end > m.start;
}

function insertSorted(sorted: RawMatch[], m: RawMatch): void {
  sorted.splice(lowerBound(sorted, m.start), 0, m);
}

function toFinding(
  m: RawMatch,
  rules: readonly SecretRule[],
  text: string,
  lineStarts: readonly number[],
  path: string,
): SecretFinding {
  const rule = rules[m.ruleIndex];
  const startPos = positionOf(lineStarts, m.start);
  const endPos = positionOf(lineStarts, m.end);
  return {
    ruleId: rule?.id ?? '',
    title: rule?.title ?? '',
    severity: rule?.severity ?? 'high',
    path,
    line: startPos.line,
    column: startPos.column,
    endLine: endPos.line,
    endColumn: endPos.column,
    // Only the redacted form leaves this function; the raw slice is not kept anywhere.
    redacted: redactSecret(text.slice(m.start, m.end)),
  };
}

function lineIndexOf(lineStarts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function positionOf(lineStarts: readonly number[], offset: number): { line: number; column: number } {
  const line = lineIndexOf(lineStarts, offset);
  return { line: line + 1, column: offset - (lineStarts[line] ?? 0) + 1 };
}
