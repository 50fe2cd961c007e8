// Character classes and number comparison shared by the package-manager schemes. Every scheme
// here is defined on ASCII (dpkg, rpm and apk-tools test bytes with the C locale's ctype), so
// these never consult Unicode tables.

/** Longest version string any scheme accepts; longer input is invalid, which bounds compare's cost. */
export const MAX_VERSION_LENGTH = 256;

/** True for an ASCII digit. */
export function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** True for an ASCII letter. */
export function isAlpha(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** True for an ASCII lower-case letter. */
export function isLower(code: number): boolean {
  return code >= 0x61 && code <= 0x7a;
}

/** True for an ASCII letter or digit. */
export function isAlnum(code: number): boolean {
  return isDigit(code) || isAlpha(code);
}

/** True when `s` is one or more ASCII digits. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Compares two runs of ASCII digits by numeric value, at any length (no overflow: leading zeros
 * are skipped, then the longer run is larger, then the first differing digit decides).
 */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 0x30) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 0x30) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Byte-wise comparison of two ASCII strings (memcmp, then the shorter first). */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** -1, 0 or 1 with the sign of `n`. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
