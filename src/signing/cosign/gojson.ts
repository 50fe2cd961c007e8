// Byte-exact JSON as Go's encoding/json writes it, because cosign's signatures and digests are
// over those bytes: struct fields in declaration order, map keys sorted bytewise, no spaces, and
// Go's escaping (HTML-safe `\u003c \u003e \u0026`, `\u2028 \u2029`, `\b \f` since Go 1.22).

/** A JSON object whose fields are written in the given order (a Go struct). */
export class GoStruct {
  readonly fields: readonly (readonly [string, GoJson])[];
  constructor(fields: readonly (readonly [string, GoJson])[]) {
    this.fields = fields;
  }
}

/**
 * A value to encode: `undefined` is Go's `null`; a plain object is a Go map (keys sorted);
 * a GoStruct keeps its field order.
 */
export type GoJson =
  string | number | boolean | undefined | GoStruct | readonly GoJson[] | { readonly [key: string]: GoJson };

const HEX = '0123456789abcdef';

// Control characters, quote, backslash, Go's HTML escapes (< > &), U+2028/U+2029 and surrogates.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

/** A string literal escaped as Go's json.Marshal does (with its default HTML escaping). */
export function goJsonString(s: string): string {
  // Most strings need no escaping at all; skipping the per-character loop for them keeps large
  // predicates (SBOMs of thousands of packages) fast to encode.
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += s[i] ?? '';
        out += s[i + 1] ?? '';
        i++;
      } else {
        // A lone surrogate is not valid UTF-8; Go writes the replacement character escaped.
        out += '\\ufffd';
      }
      continue;
    }
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      default:
        if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
          out += `\\u${HEX[(c >> 12) & 15]}${HEX[(c >> 8) & 15]}${HEX[(c >> 4) & 15]}${HEX[c & 15]}`;
        } else {
          out += s[i] ?? '';
        }
    }
  }
  return `${out}"`;
}

function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Encodes a value as Go's json.Marshal would (see GoJson for how maps and structs differ). */
export function encodeGoJson(value: GoJson): string {
  if (value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    // Go refuses NaN and infinities (UnsupportedValueError); so do we rather than write null.
    if (!Number.isFinite(value)) throw new RangeError(`cannot encode ${value} as JSON`);
    return JSON.stringify(value);
  }
  if (value instanceof GoStruct) {
    return `{${value.fields.map(([k, v]) => `${goJsonString(k)}:${encodeGoJson(v)}`).join(',')}}`;
  }
  if (Array.isArray(value)) {
    return `[${(value as readonly GoJson[]).map((v) => encodeGoJson(v)).join(',')}]`;
  }
  const map = value as { readonly [key: string]: GoJson };
  const keys = Object.keys(map).sort(compareBytewise);
  return `{${keys.map((k) => `${goJsonString(k)}:${encodeGoJson(map[k])}`).join(',')}}`;
}
