// What an installed package's header says about it, in the terms `rpm -q --qf` uses:
// NAME, EPOCH, VERSION, RELEASE, ARCH, SOURCERPM, LICENSE, VENDOR, MODULARITYLABEL and the file
// list. rpm stores file names either compressed (BASENAMES + DIRNAMES + DIRINDEXES, rpm ≥ 4.0
// with the rpmlib(CompressedFileNames) feature) or whole (OLDFILENAMES, older packages).
import { RpmError } from './errors.js';
import { RpmTag, type RpmHeader } from './header.js';

/** The facts of one installed rpm package. */
export type RpmPackageInfo = {
  readonly name: string;
  /** EPOCH when the header has one (rpm prints `(none)` otherwise and compares it as 0). */
  readonly epoch: number | undefined;
  readonly version: string;
  readonly release: string;
  /** Absent for pseudo-packages such as `gpg-pubkey`. */
  readonly arch: string | undefined;
  /** The source package's file name, `name-version-release.src.rpm`. */
  readonly sourceRpm: string | undefined;
  readonly license: string | undefined;
  readonly vendor: string | undefined;
  readonly modularityLabel: string | undefined;
  /** Owned paths as rpm lists them (absolute, `/usr/bin/bash`), directories left out. */
  readonly files: readonly string[];
};

/** The parts of a SOURCERPM file name. */
export type SourceRpm = { readonly name: string; readonly version: string; readonly release: string };

function required(header: RpmHeader, tag: number, label: string): string {
  const value = header.string(tag);
  if (value === undefined || value === '') {
    throw new RpmError('RPM_HEADER_INVALID', `rpm header: no ${label} tag`);
  }
  return value;
}

function optional(header: RpmHeader, tag: number): string | undefined {
  const value = header.string(tag);
  return value === '' ? undefined : value;
}

/** S_IFMT and S_IFDIR of stat(2): FILEMODES holds each file's st_mode. */
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/** All paths the header lists, whole. */
function allPaths(header: RpmHeader): string[] {
  const basenames = header.strings(RpmTag.BASENAMES);
  if (basenames === undefined) return header.strings(RpmTag.OLDFILENAMES) ?? [];
  const dirnames = header.strings(RpmTag.DIRNAMES);
  const dirindexes = header.int32s(RpmTag.DIRINDEXES);
  if (dirnames === undefined || dirindexes === undefined) {
    throw new RpmError('RPM_HEADER_INVALID', 'rpm header: BASENAMES without DIRNAMES and DIRINDEXES');
  }
  if (dirindexes.length !== basenames.length) {
    throw new RpmError(
      'RPM_HEADER_INVALID',
      `rpm header: ${basenames.length} BASENAMES but ${dirindexes.length} DIRINDEXES`,
    );
  }
  return basenames.map((base, i) => {
    const dirIndex = dirindexes[i] ?? 0;
    const dir = dirnames[dirIndex];
    if (dir === undefined) {
      throw new RpmError(
        'RPM_HEADER_INVALID',
        `rpm header: DIRINDEXES[${i}] = ${dirIndex} is beyond the ${dirnames.length} DIRNAMES`,
      );
    }
    return dir + base;
  });
}

/** The owned files without the directories (FILEMODES says which are; when it is absent or does not line up, all are kept). */
function fileList(header: RpmHeader): string[] {
  const paths = allPaths(header);
  const modes = header.int16s(RpmTag.FILEMODES);
  if (modes?.length !== paths.length) return paths;
  return paths.filter((_, i) => ((modes[i] ?? 0) & S_IFMT) !== S_IFDIR);
}

/**
 * Reads the package facts from a parsed header.
 *
 * @throws RpmError RPM_HEADER_INVALID when NAME, VERSION or RELEASE is missing, a tag has the
 *   wrong type, or the compressed file list is inconsistent.
 */
export function readRpmPackageInfo(header: RpmHeader): RpmPackageInfo {
  const epochs = header.int32s(RpmTag.EPOCH);
  return {
    name: required(header, RpmTag.NAME, 'NAME'),
    epoch: epochs?.[0],
    version: required(header, RpmTag.VERSION, 'VERSION'),
    release: required(header, RpmTag.RELEASE, 'RELEASE'),
    arch: optional(header, RpmTag.ARCH),
    sourceRpm: optional(header, RpmTag.SOURCERPM),
    license: optional(header, RpmTag.LICENSE),
    vendor: optional(header, RpmTag.VENDOR),
    modularityLabel: optional(header, RpmTag.MODULARITYLABEL),
    files: fileList(header),
  };
}

/** `[E:]V-R`, the form rpm's `%{EVR}` prints: the epoch only when the header has one. */
export function formatRpmEvr(info: Pick<RpmPackageInfo, 'epoch' | 'version' | 'release'>): string {
  const vr = `${info.version}-${info.release}`;
  return info.epoch === undefined ? vr : `${String(info.epoch)}:${vr}`;
}

/**
 * Splits a SOURCERPM file name, `name-version-release.src.rpm` (or `.nosrc.rpm`): version and
 * release contain no `-`, so they are the last two dash-separated fields. Undefined when the
 * name does not have that shape.
 */
export function parseSourceRpm(fileName: string): SourceRpm | undefined {
  if (fileName.length > 1024) return undefined;
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(fileName) ?? undefined;
  if (m === undefined) return undefined;
  const [, name = '', version = '', release = ''] = m;
  return { name, version, release };
}
