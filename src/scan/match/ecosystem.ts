// Which OSV ecosystem, package name and version an inventoried package is looked up under, and
// which version ordering that ecosystem's advisories use. The names follow the OSV ecosystem
// list (https://ossf.github.io/osv-schema/#affectedpackage-field, ../shared/data/osv-schema/
// ecosystems.json): distributions name their *source* packages, language ecosystems their own
// package names.
import type { OsInfo, Package } from '../../inventory/index.js';
import { normalizePythonName } from '../../inventory/index.js';
import type { SchemeId } from '../../version/index.js';

// Debian codenames for images whose release files give no number (testing, distroless without
// debian_version); OSV's Debian ecosystem is keyed by the number (or `sid`).
const DEBIAN_NUMBERS: Readonly<Record<string, string>> = {
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};

function majorOf(version: string | undefined): string | undefined {
  return version === undefined ? undefined : /^\d+/.exec(version)?.[0];
}

function majorMinorOf(version: string | undefined): string | undefined {
  if (version === undefined) return undefined;
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? `${m[1] ?? ''}.${m[2] ?? ''}` : undefined;
}

function debianEcosystems(os: OsInfo): string[] {
  const major = majorOf(os.version);
  if (major !== undefined) return [`Debian:${major}`];
  const codename = os.codename?.toLowerCase();
  if (codename === undefined) return [];
  if (codename === 'sid' || codename === 'unstable') return ['Debian:sid'];
  const n = DEBIAN_NUMBERS[codename];
  return n === undefined ? [] : [`Debian:${n}`];
}

function ubuntuEcosystems(os: OsInfo): string[] {
  const release = majorMinorOf(os.version);
  if (release === undefined) return [];
  // OSV writes LTS releases as `Ubuntu:22.04:LTS`; feeds differ on whether they add the suffix,
  // so both spellings are asked for.
  return [`Ubuntu:${release}`, `Ubuntu:${release}:LTS`];
}

function rpmEcosystems(os: OsInfo): string[] {
  const major = majorOf(os.version);
  const majorMinor = majorMinorOf(os.version);
  switch (os.family) {
    case 'rhel':
    case 'centos':
      // Red Hat's OSV ecosystems carry a CPE-derived product stream; the main RHEL streams.
      return major === undefined
        ? []
        : [
            `Red Hat:enterprise_linux:${major}::baseos`,
            `Red Hat:enterprise_linux:${major}::appstream`,
            `Red Hat:enterprise_linux:${major}::crb`,
            `Red Hat:enterprise_linux:${major}`,
          ];
    case 'rocky':
      return major === undefined ? ['Rocky Linux'] : [`Rocky Linux:${major}`];
    case 'almalinux':
      return major === undefined ? ['AlmaLinux'] : [`AlmaLinux:${major}`];
    case 'opensuse-leap':
    case 'opensuse-tumbleweed':
    case 'opensuse':
      // The release suffix is the os-release PRETTY_NAME.
      return os.prettyName === undefined ? [] : [`openSUSE:${os.prettyName}`];
    case 'sles':
    case 'sled':
    case 'sle-micro':
      return os.prettyName === undefined ? [] : [`SUSE:${os.prettyName}`];
    case 'mariner':
    case 'cbl-mariner':
      return majorMinor === undefined
        ? []
        : [`Mariner:${majorMinor}`, `Azure Linux:${majorMinor}`, `Azure Linux:${major ?? ''}`];
    case 'azurelinux':
      return majorMinor === undefined ? [] : [`Azure Linux:${majorMinor}`, `Azure Linux:${major ?? ''}`];
    case 'amzn':
      return major === undefined ? [] : [`Amazon Linux:${major}`];
    case 'photon':
      return majorMinor === undefined ? [] : [`Photon OS:${majorMinor}`];
    case 'mageia':
      return major === undefined ? [] : [`Mageia:${major}`];
    case 'openeuler':
      return os.version === undefined ? [] : [`openEuler:${os.version}`];
    default:
      return [];
  }
}

/**
 * The OSV ecosystems a package's advisories are filed under, most specific first; empty when
 * no advisory database covers it (an OS package of an unknown or unnumbered distribution).
 */
export function ecosystemFor(pkg: Package, os: OsInfo | undefined): readonly string[] {
  switch (pkg.type) {
    case 'deb':
      if (os === undefined) return [];
      if (os.family === 'debian') return debianEcosystems(os);
      if (os.family === 'ubuntu') return ubuntuEcosystems(os);
      return [];
    case 'apk': {
      if (os === undefined) return [];
      if (os.family === 'wolfi') return ['Wolfi'];
      if (os.family === 'chainguard') return ['Chainguard'];
      if (os.family !== 'alpine') return [];
      const release = majorMinorOf(os.version);
      return release === undefined ? [] : [`Alpine:v${release}`];
    }
    case 'rpm':
      return os === undefined ? [] : rpmEcosystems(os);
    case 'npm':
      return ['npm'];
    case 'pypi':
      return ['PyPI'];
    case 'golang':
      return ['Go'];
    case 'maven':
      return ['Maven'];
    case 'cargo':
      return ['crates.io'];
    case 'gem':
      return ['RubyGems'];
    case 'composer':
      return ['Packagist'];
    case 'nuget':
      return ['NuGet'];
  }
}

/** The name and version a package is looked up and compared under. */
export type AdvisoryName = {
  /** Names to query, most specific first (rpm: the source package, then the binary). */
  readonly names: readonly string[];
  /** The version ranges are evaluated against. */
  readonly version: string;
};

function joined(pkg: Package, sep: string): string {
  if (pkg.namespace === undefined || pkg.name.includes(sep)) return pkg.name;
  return `${pkg.namespace}${sep}${pkg.name}`;
}

/**
 * The name(s) and version a package's advisories use: deb the source package and its version
 * (binNMUs such as `2.36-9+b1` and binaries versioned apart from their source, such as gcc from
 * gcc-defaults, are never compared by the binary version); apk the origin; rpm the source rpm's
 * name (then the binary's, as Red Hat files both) with the binary's `[E:]V-R` (the source rpm
 * name carries no epoch); language packages their ecosystem's full name.
 */
export function advisoryNameFor(pkg: Package): AdvisoryName {
  switch (pkg.type) {
    case 'deb':
      return { names: [pkg.source?.name ?? pkg.name], version: pkg.source?.version ?? pkg.version };
    case 'apk':
      return { names: [pkg.source?.name ?? pkg.name], version: pkg.version };
    case 'rpm': {
      const names = pkg.source === undefined ? [pkg.name] : [pkg.source.name, pkg.name];
      return { names: [...new Set(names)], version: pkg.version };
    }
    case 'npm':
      return { names: [joined(pkg, '/')], version: pkg.version };
    case 'pypi':
      return { names: [normalizePythonName(pkg.name)], version: pkg.version };
    case 'golang':
      return { names: [joined(pkg, '/')], version: pkg.version };
    case 'maven':
      return { names: [joined(pkg, ':')], version: pkg.version };
    case 'composer':
      return { names: [joined(pkg, '/').toLowerCase()], version: pkg.version };
    case 'cargo':
    case 'gem':
    case 'nuget':
      return { names: [pkg.name], version: pkg.version };
  }
}

const SCHEME_BY_ECOSYSTEM: Readonly<Record<string, SchemeId>> = {
  Debian: 'dpkg',
  Ubuntu: 'dpkg',
  Alpine: 'apk',
  Wolfi: 'apk',
  Chainguard: 'apk',
  'Red Hat': 'rpm',
  'Rocky Linux': 'rpm',
  AlmaLinux: 'rpm',
  openSUSE: 'rpm',
  SUSE: 'rpm',
  Mariner: 'rpm',
  'Azure Linux': 'rpm',
  'Amazon Linux': 'rpm',
  'Photon OS': 'rpm',
  Mageia: 'rpm',
  openEuler: 'rpm',
  PyPI: 'pep440',
  Go: 'go',
  npm: 'semver',
  'crates.io': 'crates',
  Maven: 'maven',
  RubyGems: 'rubygems',
  Packagist: 'composer',
  NuGet: 'nuget',
};

/** The version scheme an ecosystem's `ECOSYSTEM` ranges are ordered by (`Debian:12` → dpkg); undefined when unknown. */
export function schemeIdForEcosystem(ecosystem: string): SchemeId | undefined {
  const base = ecosystem.split(':', 1)[0] ?? ecosystem;
  return Object.hasOwn(SCHEME_BY_ECOSYSTEM, base) ? SCHEME_BY_ECOSYSTEM[base] : undefined;
}
