// Which operating system an image is, from the files distributions ship to say so. os-release
// is authoritative (os-release(5)); the older per-distribution files are fallbacks for images
// that lack it, in the order that resolves ambiguity (Oracle Linux also ships a redhat-release
// naming RHEL, so oracle-release is read first).
import type { FileTree } from '../../oci/index.js';
import type { OsInfo } from '../types.js';
import { parseShellVars } from './shellvars.js';

/** os-release(5): /etc/os-release takes precedence over /usr/lib/os-release. */
const OS_RELEASE_FILES = ['etc/os-release', 'usr/lib/os-release'] as const;
const LSB_RELEASE = 'etc/lsb-release';
const ALPINE_RELEASE = 'etc/alpine-release';
const RPM_RELEASE_FILES = [
  'etc/centos-release',
  'etc/fedora-release',
  'etc/oracle-release',
  'etc/redhat-release',
  'etc/system-release',
] as const;
const DEBIAN_VERSION = 'etc/debian_version';
/** Distroless images keep one dpkg status file per package here, and usually no os-release. */
const DPKG_STATUS_D = 'var/lib/dpkg/status.d';

const OS_FILES: ReadonlySet<string> = new Set<string>([
  ...OS_RELEASE_FILES,
  LSB_RELEASE,
  ALPINE_RELEASE,
  ...RPM_RELEASE_FILES,
  DEBIAN_VERSION,
]);

/** True for the files `detectOs` reads: pass it (or-ed with the analyzers' wants) to the layer reader. */
export function osWants(path: string): boolean {
  return OS_FILES.has(path);
}

/** Debian's release codenames by major version (debian_version holds only the number). */
const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  '7': 'wheezy',
  '8': 'jessie',
  '9': 'stretch',
  '10': 'buster',
  '11': 'bullseye',
  '12': 'bookworm',
  '13': 'trixie',
  '14': 'forky',
};

/** Names in `<Name> release <version> (<codename>)` lines, mapped to os-release IDs. */
const RPM_RELEASE_NAMES: readonly (readonly [RegExp, string])[] = [
  [/^red hat enterprise linux/i, 'rhel'],
  [/^centos/i, 'centos'],
  [/^rocky linux/i, 'rocky'],
  [/^almalinux/i, 'almalinux'],
  [/^fedora/i, 'fedora'],
  [/^amazon linux/i, 'amzn'],
  [/^oracle linux/i, 'ol'],
  [/^scientific linux/i, 'scientific'],
];

/** What a release file says, before the runner adds where it came from. */
export type ReleaseFields = Omit<OsInfo, 'source' | 'distroless'>;

function text(tree: FileTree, path: string): string | undefined {
  return tree.readFile(path)?.toString('utf8');
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function firstLine(content: string): string | undefined {
  return nonEmpty(content.split('\n', 1)[0]);
}

/** Fields of an os-release file; undefined when it names no ID. */
export function parseOsRelease(content: string): ReleaseFields | undefined {
  const vars = parseShellVars(content);
  const id = nonEmpty(vars.get('ID'))?.toLowerCase();
  if (id === undefined) return undefined;
  return {
    family: id,
    version: nonEmpty(vars.get('VERSION_ID')),
    codename: nonEmpty(vars.get('VERSION_CODENAME')),
    prettyName: nonEmpty(vars.get('PRETTY_NAME')),
  };
}

/** Fields of an lsb-release file (`DISTRIB_ID=Ubuntu`, …); undefined without DISTRIB_ID. */
export function parseLsbRelease(content: string): ReleaseFields | undefined {
  const vars = parseShellVars(content);
  const id = nonEmpty(vars.get('DISTRIB_ID'))?.toLowerCase();
  if (id === undefined) return undefined;
  return {
    family: id,
    version: nonEmpty(vars.get('DISTRIB_RELEASE')),
    codename: nonEmpty(vars.get('DISTRIB_CODENAME')),
    prettyName: nonEmpty(vars.get('DISTRIB_DESCRIPTION')),
  };
}

/** `CentOS Linux release 7.9.2009 (Core)` and kin; undefined for names we cannot map. */
export function parseRpmRelease(content: string): ReleaseFields | undefined {
  const line = firstLine(content);
  if (line === undefined) return undefined;
  const m = /^(.*?)\s+release\s+(\d[\w.]*)\s*(?:\((.*)\))?/i.exec(line);
  const name = m?.[1];
  if (name === undefined) return undefined;
  const family = RPM_RELEASE_NAMES.find(([re]) => re.test(name))?.[1];
  if (family === undefined) return undefined;
  return { family, version: m?.[2], codename: nonEmpty(m?.[3]), prettyName: line };
}

/**
 * etc/debian_version: a release number (`12.5`, codename from the major version) or, on
 * testing/unstable and on Ubuntu, `codename/sid` with no number.
 */
export function parseDebianVersion(content: string): ReleaseFields | undefined {
  const line = firstLine(content);
  if (line === undefined) return undefined;
  if (/^\d+(\.\d+)*$/.test(line)) {
    const major = line.split('.', 1)[0] ?? line;
    return { family: 'debian', version: line, codename: DEBIAN_CODENAMES[major], prettyName: undefined };
  }
  const codename = nonEmpty(line.split('/', 1)[0]);
  return { family: 'debian', version: undefined, codename, prettyName: undefined };
}

/**
 * Identifies the image's operating system. Order: os-release (etc, then usr/lib), lsb-release,
 * alpine-release, the rpm family's release files, then Debian. A Debian image without
 * os-release but with `var/lib/dpkg/status.d/` (distroless) is reported as Debian with
 * `distroless: true` and the release from etc/debian_version when present (distroless ships
 * it); without that file the version is unknown. Undefined when nothing matches. Needs the
 * content of the paths `osWants` selects.
 */
export function detectOs(tree: FileTree): OsInfo | undefined {
  const found = (source: string, info: ReleaseFields | undefined): OsInfo | undefined =>
    info === undefined ? undefined : { ...info, source, distroless: false };

  for (const path of OS_RELEASE_FILES) {
    const content = text(tree, path);
    const info = content === undefined ? undefined : found(path, parseOsRelease(content));
    if (info !== undefined) return info;
  }
  const lsb = text(tree, LSB_RELEASE);
  const fromLsb = lsb === undefined ? undefined : found(LSB_RELEASE, parseLsbRelease(lsb));
  if (fromLsb !== undefined) return fromLsb;

  const alpine = text(tree, ALPINE_RELEASE);
  const alpineVersion = alpine === undefined ? undefined : firstLine(alpine);
  if (alpineVersion !== undefined) {
    return found(ALPINE_RELEASE, {
      family: 'alpine',
      version: alpineVersion,
      codename: undefined,
      prettyName: undefined,
    });
  }
  for (const path of RPM_RELEASE_FILES) {
    const content = text(tree, path);
    const info = content === undefined ? undefined : found(path, parseRpmRelease(content));
    if (info !== undefined) return info;
  }

  const debianVersion = text(tree, DEBIAN_VERSION);
  const debian = debianVersion === undefined ? undefined : parseDebianVersion(debianVersion);
  const distroless = tree.resolve(DPKG_STATUS_D)?.type === 'dir';
  if (debian !== undefined) return { ...debian, source: DEBIAN_VERSION, distroless };
  if (distroless) {
    return {
      family: 'debian',
      version: undefined,
      codename: undefined,
      prettyName: undefined,
      source: DPKG_STATUS_D,
      distroless: true,
    };
  }
  return undefined;
}
