// Package URLs for every package type we inventory, built with packageurl-js (the purl
// project's own library, which also percent-encodes and sorts qualifiers canonically). The
// rules per type follow the purl spec's PURL-TYPES: https://github.com/package-url/purl-spec
import { PackageURL } from 'packageurl-js';
import { errorMessage, truncateForMessage } from '../core/index.js';
import { InventoryError } from './errors.js';
import type { OsInfo, Package } from './types.js';

/** The package fields a purl is made from. */
export type PurlInput = Pick<Package, 'type' | 'namespace' | 'name' | 'version' | 'arch' | 'metadata'>;

/** PEP 503 normalized name: lower-case, every run of `-`, `_` and `.` one `-`. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

// purl `rpm` namespace is the vendor; os-release IDs that differ from the vendor name
// purl tools use (Red Hat's products are "redhat", Amazon's "amazon", …).
const RPM_VENDORS: Readonly<Record<string, string>> = {
  rhel: 'redhat',
  amzn: 'amazon',
  ol: 'oracle',
  'opensuse-leap': 'opensuse',
  'opensuse-tumbleweed': 'opensuse',
  opensuse: 'opensuse',
  sles: 'suse',
  sled: 'suse',
  'sle-micro': 'suse',
  'cbl-mariner': 'mariner',
};

const OS_TYPES: ReadonlySet<string> = new Set(['deb', 'apk', 'rpm']);

/** True for package types an operating system's package manager installs (deb, apk, rpm). */
export function isOsPackageType(type: string): boolean {
  return OS_TYPES.has(type);
}

/** `family-version` (or `family-codename` when the release has no number), the `distro` qualifier of deb and rpm purls. */
function distroOf(os: OsInfo | undefined, version: string | undefined): string | undefined {
  if (os === undefined) return undefined;
  const release = version ?? os.codename;
  return release === undefined ? undefined : `${os.family}-${release}`;
}

/** Debian releases are named by their major number; point releases (12.5) are the same distribution. */
function debianRelease(os: OsInfo | undefined): string | undefined {
  const v = os?.version;
  if (os?.family === 'debian' && v !== undefined) return /^\d+/.exec(v)?.[0] ?? v;
  return v;
}

type Parts = {
  namespace: string | undefined;
  name: string;
  version: string | undefined;
  qualifiers: Record<string, string>;
};

/** Splits `prefix/last` at the last slash; a name without one has no namespace. */
function splitLast(name: string): { namespace: string | undefined; name: string } {
  const i = name.lastIndexOf('/');
  return i <= 0 ? { namespace: undefined, name } : { namespace: name.slice(0, i), name: name.slice(i + 1) };
}

function partsOf(pkg: PurlInput, os: OsInfo | undefined): Parts {
  const version = pkg.version === '' ? undefined : pkg.version;
  const qualifiers: Record<string, string> = {};
  const plain = { namespace: pkg.namespace, name: pkg.name, version, qualifiers };
  switch (pkg.type) {
    case 'deb': {
      if (pkg.arch !== undefined) qualifiers['arch'] = pkg.arch;
      const distro = distroOf(os, debianRelease(os));
      if (distro !== undefined) qualifiers['distro'] = distro;
      return { ...plain, namespace: pkg.namespace ?? os?.family ?? 'debian' };
    }
    case 'apk': {
      if (pkg.arch !== undefined) qualifiers['arch'] = pkg.arch;
      // Alpine-style purls carry the bare release number as distro (as Trivy and Alpine's secdb do).
      if (os?.version !== undefined) qualifiers['distro'] = os.version;
      return { ...plain, namespace: pkg.namespace ?? os?.family ?? 'alpine' };
    }
    case 'rpm': {
      // purl rpm: the version is VERSION-RELEASE; the epoch is the `epoch` qualifier.
      const m = version === undefined ? undefined : /^(\d+):(.*)$/.exec(version);
      const epoch = pkg.metadata?.['epoch'] ?? m?.[1];
      if (pkg.arch !== undefined) qualifiers['arch'] = pkg.arch;
      if (epoch !== undefined && epoch !== '' && epoch !== '0') qualifiers['epoch'] = epoch;
      const distro = distroOf(os, os?.version);
      if (distro !== undefined) qualifiers['distro'] = distro;
      const vendor = os === undefined ? undefined : (RPM_VENDORS[os.family] ?? os.family);
      return { ...plain, namespace: pkg.namespace ?? vendor, version: m?.[2] ?? version };
    }
    case 'npm':
      // A scoped name may come whole (`@babel/core`); the scope is the namespace.
      return pkg.namespace === undefined && pkg.name.startsWith('@')
        ? { ...plain, ...splitLast(pkg.name) }
        : plain;
    case 'pypi':
      return { ...plain, name: normalizePythonName(pkg.name) };
    case 'golang':
    case 'composer':
      // Go: the module path minus its last element; composer: the vendor of `vendor/name`.
      return pkg.namespace === undefined ? { ...plain, ...splitLast(pkg.name) } : plain;
    case 'maven': {
      if (pkg.namespace !== undefined) return plain;
      const i = pkg.name.indexOf(':');
      return i <= 0 ? plain : { ...plain, namespace: pkg.name.slice(0, i), name: pkg.name.slice(i + 1) };
    }
    case 'cargo':
    case 'gem':
    case 'nuget':
      return plain;
  }
}

/**
 * The package URL of a package: type-specific namespace, name normalization and qualifiers
 * (`arch`, `distro`, rpm `epoch`) per the purl spec, with the OS vendor and release taken from
 * `os` for deb, apk and rpm packages.
 *
 * @throws InventoryError PURL_INVALID when the fields cannot form a purl (an empty name).
 */
export function toPurl(pkg: PurlInput, os?: OsInfo): string {
  const p = partsOf(pkg, os);
  try {
    const qualifiers = Object.keys(p.qualifiers).length === 0 ? undefined : p.qualifiers;
    return new PackageURL(pkg.type, p.namespace, p.name, p.version, qualifiers).toString();
  } catch (err) {
    throw new InventoryError(
      'PURL_INVALID',
      `cannot make a ${pkg.type} purl for "${truncateForMessage(pkg.name)}": ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
