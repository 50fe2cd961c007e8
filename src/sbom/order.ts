import { createHash } from 'node:crypto';
import type { Package } from '../inventory/index.js';

// Deterministic output: packages are sorted, and every identifier (CycloneDX bom-ref, SPDXID)
// is derived from the package's purl and location, never from a counter or a random value, so
// the same inventory always gives the same document (apart from timestamp and serial number).

/** A package with the identifiers both writers use. */
export type OrderedPackage = {
  readonly pkg: Package;
  /** The purl, or undefined when the analyzer left it empty. */
  readonly purl: string | undefined;
  /** CycloneDX bom-ref: the purl, made unique with the location when a purl repeats. */
  readonly ref: string;
  /** SPDX 2.3 clause 7.2 identifier: `SPDXRef-` and letters, digits, `.` and `-` only. */
  readonly spdxId: string;
  /** The name as the ecosystem writes it whole: `@babel/core`, `github.com/a/b`, `org.x:lib`. */
  readonly qualifiedName: string;
};

/** The whole name: npm scope, Go module path, composer vendor and Maven groupId joined to the name. */
export function qualifiedName(pkg: Package): string {
  const ns = pkg.namespace;
  if (ns === undefined || ns === '') return pkg.name;
  switch (pkg.type) {
    case 'maven':
      return `${ns}:${pkg.name}`;
    case 'npm':
    case 'golang':
    case 'composer':
      return `${ns}/${pkg.name}`;
    case 'deb':
    case 'apk':
    case 'rpm':
    case 'pypi':
    case 'cargo':
    case 'gem':
    case 'nuget':
      return pkg.name;
  }
}

/** Letters, digits, `.` and `-` (SPDX idstring), at most 80 characters. */
export function spdxIdPart(text: string): string {
  const s = text
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return s === '' ? 'x' : s;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKey(pkg: Package): string[] {
  return [
    pkg.purl,
    pkg.type,
    qualifiedName(pkg),
    pkg.version,
    pkg.location.path,
    String(pkg.location.layerIndex).padStart(6, '0'),
  ];
}

/** Sorts packages by purl and location and gives each a unique bom-ref and SPDXID. */
export function orderPackages(packages: readonly Package[]): OrderedPackage[] {
  const sorted = [...packages].sort((a, b) => {
    const ka = sortKey(a);
    const kb = sortKey(b);
    for (let i = 0; i < ka.length; i++) {
      const c = compareStrings(ka[i] ?? '', kb[i] ?? '');
      if (c !== 0) return c;
    }
    return 0;
  });
  const baseCount = new Map<string, number>();
  const baseOf = (pkg: Package): string =>
    pkg.purl !== '' ? pkg.purl : `${pkg.type}:${qualifiedName(pkg)}@${pkg.version}`;
  for (const pkg of sorted) baseCount.set(baseOf(pkg), (baseCount.get(baseOf(pkg)) ?? 0) + 1);
  const used = new Set<string>();
  return sorted.map((pkg) => {
    const base = baseOf(pkg);
    // The same purl at two paths is two installations (two node_modules copies): both stay,
    // told apart by where they were found.
    let ref = (baseCount.get(base) ?? 0) > 1 ? `${base}|${pkg.location.path}` : base;
    for (let n = 2; used.has(ref); n++) ref = `${base}|${pkg.location.path}|${n}`;
    used.add(ref);
    const name = qualifiedName(pkg);
    return {
      pkg,
      purl: pkg.purl === '' ? undefined : pkg.purl,
      ref,
      spdxId: `SPDXRef-Package-${pkg.type}-${spdxIdPart(name)}-${shortHash(ref)}`,
      qualifiedName: name,
    };
  });
}
