import { compareBytes, compareDigits, isAlnum, isDigits, MAX_VERSION_LENGTH, sign } from './chars.js';
import { invalidVersion } from './scheme.js';
import type { VersionScheme } from './scheme.js';

// NuGet package versions (https://learn.microsoft.com/nuget/concepts/package-versioning):
// SemVer 2.0.0 whose numeric part may have one to four components (the fourth, Revision, is the
// legacy System.Version one; missing components are 0, so `1.0` = `1.0.0.0`), whose numbers may
// carry leading zeros (`1.01` is 1.1, as NuGet normalizes), and whose pre-release labels compare
// case-insensitively. Build metadata does not take part in ordering.

// Each numeric component is a System.Version component, a non-negative Int32.
const MAX_INT32 = '2147483647';

type NuGetVersion = {
  /** Major, Minor, Patch, Revision. */
  readonly numbers: readonly [string, string, string, string];
  readonly labels: readonly string[];
};

function parse(input: string): NuGetVersion | string {
  if (input.length === 0) return 'an empty string is not a version';
  if (input.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  // The first `-` or `+` ends the numeric part; the first `+` starts the metadata.
  const plus = input.indexOf('+');
  const main = plus >= 0 ? input.slice(0, plus) : input;
  const hyphen = main.indexOf('-');
  const numeric = hyphen >= 0 ? main.slice(0, hyphen) : main;
  const parts = numeric.split('.');
  if (parts.length > 4 || !parts.every(isDigits)) return 'one to four dot-separated numbers';
  if (!parts.every((p) => compareDigits(p, MAX_INT32) <= 0)) return `numbers must be at most ${MAX_INT32}`;
  const labels = hyphen >= 0 ? main.slice(hyphen + 1).split('.') : [];
  for (const label of labels) {
    if (!isLabel(label)) return 'pre-release labels must be non-empty [0-9A-Za-z-]';
    // NuGet refuses numeric labels with leading zeros, as SemVer 2.0.0 §9 does.
    if (isDigits(label) && label.length > 1 && label.startsWith('0')) {
      return 'numeric pre-release labels must not have leading zeros';
    }
  }
  if (
    plus >= 0 &&
    !input
      .slice(plus + 1)
      .split('.')
      .every(isLabel)
  ) {
    return 'build metadata must be non-empty [0-9A-Za-z-] identifiers';
  }
  const [major = '0', minor = '0', patch = '0', revision = '0'] = parts;
  return { numbers: [major, minor, patch, revision], labels };
}

function isLabel(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 0x2d) return false;
  }
  return true;
}

function compareNuGet(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const c = compareDigits(a.numbers[i] ?? '0', b.numbers[i] ?? '0');
    if (c !== 0) return c;
  }
  // A release is above its pre-releases; labels then compare one by one, a longer list winning
  // when all shared labels are equal.
  if (a.labels.length === 0 || b.labels.length === 0) return sign(b.labels.length - a.labels.length);
  const n = Math.min(a.labels.length, b.labels.length);
  for (let i = 0; i < n; i++) {
    const c = compareLabel(a.labels[i] ?? '', b.labels[i] ?? '');
    if (c !== 0) return c;
  }
  return sign(a.labels.length - b.labels.length);
}

// NuGet's VersionComparer: numeric labels by value and below alphanumeric ones; alphanumeric
// labels ordinally, ignoring case (upper-cased, as .NET's OrdinalIgnoreCase does). NuGet reads
// numeric labels as Int32, so one above 2^31 - 1 would sort as text there; here it is a number
// like any other, as SemVer 2.0.0 says.
function compareLabel(a: string, b: string): number {
  const an = isDigits(a);
  const bn = isDigits(b);
  if (an && bn) return compareDigits(a, b);
  if (an !== bn) return an ? -1 : 1;
  return compareBytes(a.toUpperCase(), b.toUpperCase());
}

function parseOrThrow(input: string): NuGetVersion {
  const result = parse(input);
  if (typeof result === 'string') throw invalidVersion('nuget', input, result);
  return result;
}

/** NuGet's version order (NuGetVersion with VersionComparer.Default). */
export const nuget: VersionScheme = {
  id: 'nuget',
  isValid: (version) => typeof parse(version) !== 'string',
  compare: (a, b) => compareNuGet(parseOrThrow(a), parseOrThrow(b)),
};
