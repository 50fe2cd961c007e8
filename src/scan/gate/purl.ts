import { PackageURL } from 'packageurl-js';

type Parts = {
  readonly type: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: string | undefined;
  readonly qualifiers: ReadonlyMap<string, string>;
};

function parse(purl: string): Parts | undefined {
  if (!purl.startsWith('pkg:') || purl.length > 4096) return undefined;
  try {
    const p = PackageURL.fromString(purl);
    const qualifiers = new Map<string, string>();
    for (const [k, v] of Object.entries(p.qualifiers ?? {})) {
      if (typeof v === 'string') qualifiers.set(k, v);
    }
    return {
      type: p.type,
      namespace: p.namespace ?? '',
      name: p.name,
      version: p.version === undefined || p.version === '' ? undefined : p.version,
      qualifiers,
    };
  } catch {
    return undefined;
  }
}

/**
 * True when `pattern` names the package `purl`: same type, namespace and name; the same version
 * when the pattern has one (a pattern without version names every version); and every qualifier
 * of the pattern present with the same value. This is how OpenVEX matches product purls
 * (spec, "Product Identifiers": a versionless purl covers all versions). Strings that are not
 * purls match only themselves.
 */
export function purlMatches(pattern: string, purl: string): boolean {
  if (pattern === purl) return true;
  const p = parse(pattern);
  const t = parse(purl);
  if (p === undefined || t === undefined) return false;
  if (p.type !== t.type || p.namespace !== t.namespace || p.name !== t.name) return false;
  if (p.version !== undefined && p.version !== t.version) return false;
  for (const [k, v] of p.qualifiers) {
    if (t.qualifiers.get(k) !== v) return false;
  }
  return true;
}
