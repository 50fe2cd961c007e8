import { PackageURL } from 'packageurl-js';
import type { ImageSubject } from './types.js';

// purl-spec PURL-SPECIFICATION "Character encoding": separators and non-ASCII characters are
// percent-encoded; anything else may be. Unreserved URI characters stay as they are.
function encode(value: string, keep: RegExp): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && keep.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const UNRESERVED = /^[A-Za-z0-9._~-]$/;
// Qualifier values may keep '/' unencoded, as the purl-spec `oci` examples write
// `repository_url=docker.io/library/debian`.
const QUALIFIER_VALUE = /^[A-Za-z0-9._~/-]$/;

/**
 * The image's purl per the purl-spec `oci` type: `pkg:oci/NAME@sha256%3AHEX` with the qualifiers
 * `arch`, `repository_url` and `tag` (sorted, as the spec's canonical form wants). Undefined when
 * the image has no manifest digest, since the version is what identifies the artifact.
 */
export function ociPurl(image: ImageSubject): string | undefined {
  if (image.digest === undefined) return undefined;
  const qualifiers: [string, string | undefined][] = [
    ['arch', image.architecture],
    ['repository_url', image.repositoryUrl],
    ['tag', image.tag],
  ];
  const q = qualifiers
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}=${encode(v, QUALIFIER_VALUE)}`)
    .join('&');
  return `pkg:oci/${encode(image.name, UNRESERVED)}@${encode(image.digest, UNRESERVED)}${q === '' ? '' : `?${q}`}`;
}

/** The parts of a purl that was read. */
export type ParsedPurl = {
  readonly type: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly version: string | undefined;
  readonly qualifiers: Readonly<Record<string, string>>;
};

/** Longest purl read; real ones are well under 1 KiB, and qualifiers like `checksum` stay far below this. */
export const MAX_PURL_LENGTH = 4096;

/** Parses a purl (with packageurl-js, the purl project's implementation); undefined when it is not one. */
export function tryParsePurl(input: string): ParsedPurl | undefined {
  if (input.length > MAX_PURL_LENGTH) return undefined;
  try {
    const p = PackageURL.fromString(input);
    const qualifiers: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.qualifiers ?? {})) {
      if (typeof v === 'string') qualifiers[k] = v;
    }
    return {
      type: p.type,
      namespace: p.namespace === undefined || p.namespace === '' ? undefined : p.namespace,
      name: p.name,
      version: p.version === undefined || p.version === '' ? undefined : p.version,
      qualifiers,
    };
  } catch {
    return undefined;
  }
}
