import type { Digest } from '../core/index.js';
import type { FileTree } from '../oci/index.js';

/** Package ecosystems, named as purl types. */
export type PackageType =
  'deb' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'golang' | 'maven' | 'cargo' | 'gem' | 'composer' | 'nuget';

/** The operating system of an image, as its release files describe it. */
export type OsInfo = {
  /** os-release ID, lower-case: debian, ubuntu, alpine, rhel, centos, rocky, almalinux, fedora, amzn, ol, sles, opensuse-leap, mariner, azurelinux, wolfi, chainguard, photon… */
  readonly family: string;
  /** VERSION_ID or the release file's version: `12`, `3.19.1`, `22.04`, `8.9`. */
  readonly version: string | undefined;
  readonly codename: string | undefined;
  readonly prettyName: string | undefined;
  /** The file the answer came from. */
  readonly source: string;
  /** True when recognised without os-release (distroless: dpkg status.d only). */
  readonly distroless: boolean;
};

/** Where in the image a package was found. */
export type PackageLocation = {
  /** Path of the file the package was read from (normalized, no leading '/'). */
  readonly path: string;
  /** Layer that last wrote that file (-1 for rootfs:). */
  readonly layerIndex: number;
  readonly diffID: Digest | undefined;
  /** History `created_by` of that layer. */
  readonly createdBy: string | undefined;
};

export type Package = {
  readonly type: PackageType;
  /** purl namespace where the ecosystem has one: Maven groupId, npm scope (`@babel`), Go module path prefix, composer vendor. */
  readonly namespace?: string;
  readonly name: string;
  /** The version exactly as the ecosystem writes it (dpkg: with epoch `1:2.3-4`; rpm: `[E:]V-R`). */
  readonly version: string;
  readonly purl: string;
  readonly arch?: string;
  /** OS source package (deb `Source:`, apk `origin`, rpm SOURCERPM name/version). */
  readonly source?: { readonly name: string; readonly version?: string };
  /** Declared licenses as written (SPDX ids or expressions where the ecosystem gives them). */
  readonly licenses: readonly string[];
  readonly location: PackageLocation;
  /** Found in a lock file or manifest, not installed (package-lock.json/yarn.lock outside node_modules, Cargo.lock). */
  readonly declaredOnly?: boolean;
  /** Files the package owns (OS packages), used to avoid reporting them again as language packages. */
  readonly files?: readonly string[];
  /** Extra facts by key: rpm `epoch`, `release`, `modularitylabel`; go `goVersion`, `replace`; maven `groupId` … */
  readonly metadata?: Readonly<Record<string, string>>;
};

/** Something an analyzer could not read; reported, never silently dropped. */
export type InventoryGap = {
  readonly analyzer: string;
  readonly path: string;
  readonly reason: string;
};

export type Inventory = {
  readonly os: OsInfo | undefined;
  readonly packages: readonly Package[];
  readonly gaps: readonly InventoryGap[];
  readonly warnings: readonly string[];
};

/** What an analyzer sees: the merged image files and helpers bound to them. */
export type AnalyzerContext = {
  readonly tree: FileTree;
  readonly os: OsInfo | undefined;
  /** Paths present in the merged image that this analyzer asked for (wants or summarize), sorted. */
  readonly paths: readonly string[];
  /** Content of a wanted file (following symlinks), or undefined. */
  read(path: string): Buffer | undefined;
  /** What this analyzer's `summarize` reducer returned for the file now at `path`, if any. */
  summary(path: string): unknown;
  /** Layer, diffID and history step that wrote `path`. */
  location(path: string): PackageLocation;
};

export type AnalyzerResult = {
  readonly packages: readonly Package[];
  readonly gaps?: readonly InventoryGap[];
  readonly warnings?: readonly string[];
};

/**
 * One analyzer per package database or ecosystem. It names the files it needs; the runner
 * reads the image once for all analyzers and then calls `analyze`.
 */
export interface Analyzer {
  readonly id: string;
  /** Paths whose whole content this analyzer needs. Called for every path of the image: keep it cheap. */
  wants?(path: string): boolean;
  /**
   * For files too large to keep (binaries, archives): a reducer run on the content as soon as the
   * file has been read, whose small result is kept instead of the bytes. Results for files that
   * a later layer deletes or replaces are discarded.
   */
  summarize?(
    path: string,
    meta: { readonly mode: number; readonly size: number },
  ): ((content: Buffer) => unknown) | undefined;
  analyze(ctx: AnalyzerContext): AnalyzerResult | Promise<AnalyzerResult>;
}
