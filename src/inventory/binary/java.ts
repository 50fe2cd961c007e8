// The Java archive analyzer: every jar, war, ear and Jenkins plugin (jpi, hpi) in the image is
// opened as it streams past. An archive is identified by the pom.properties Maven writes under
// META-INF/maven/ (one per artifact, so shaded jars list their embedded artifacts too), else by
// its manifest, else by its file name; archives nested inside (WEB-INF/lib, BOOT-INF/lib, ear
// modules) are opened the same way, within a depth and a byte budget.
import {
  errorMessage,
  readZipDirectory,
  readZipEntry,
  type ZipDirectory,
  type ZipEntry,
} from '../../core/index.js';
import { toPurl } from '../purl.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult, InventoryGap, Package } from '../types.js';
import { FormatError } from './format-error.js';
import { manifestValue, parseArchiveFileName, parseManifest, parseProperties } from './javameta.js';

const ID = 'java-archive';
const ARCHIVE = /\.(?:jar|war|ear|jpi|hpi)$/i;
const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;
const MANIFEST = 'META-INF/MANIFEST.MF';
// Text files are tiny in practice; larger ones are not what they claim to be.
const MAX_TEXT_BYTES = 1024 * 1024;
// Looks like a Maven coordinate part, not a human title ("Apache Commons Lang").
const IDENTIFIER = /^[A-Za-z0-9_.-]+$/;

/** Limits for one archive and everything nested in it. */
export type JavaArchiveLimits = {
  /** Archives inside archives: 1 reads WEB-INF/lib jars of a war, 2 those of a war in an ear. */
  readonly maxDepth: number;
  /** Uncompressed bytes read across the archive and all nested ones (a zip bomb stops here). */
  readonly maxTotalBytes: number;
  /** Largest nested archive inflated into memory. */
  readonly maxNestedBytes: number;
  /** Central directory entries per archive. */
  readonly maxEntries: number;
  /** Nested archives opened in all. */
  readonly maxArchives: number;
};

export const DEFAULT_JAVA_ARCHIVE_LIMITS: JavaArchiveLimits = {
  maxDepth: 3,
  maxTotalBytes: 256 * 1024 * 1024,
  maxNestedBytes: 64 * 1024 * 1024,
  maxEntries: 500_000,
  maxArchives: 5_000,
};

/** How an artifact was identified, from most to least reliable. */
export type JavaIdentitySource = 'pom.properties' | 'MANIFEST.MF' | 'file name';

/** One artifact found in an archive. */
export type JavaArtifact = {
  readonly groupId: string | undefined;
  readonly artifactId: string;
  readonly version: string;
  readonly source: JavaIdentitySource;
  /** Where inside the image file, for nested archives: `WEB-INF/lib/a.jar`, `x.war!/WEB-INF/lib/a.jar`. */
  readonly nested: string | undefined;
};

/** Everything found in one archive file: artifacts, and what could not be read. */
export type JavaSummary = {
  readonly artifacts: readonly JavaArtifact[];
  readonly problems: readonly string[];
};

class Walk {
  readonly artifacts: JavaArtifact[] = [];
  readonly problems: string[] = [];
  private readonly seen = new Set<string>();
  private bytes = 0;
  private archives = 0;
  private readonly limits: JavaArchiveLimits;
  /** Set when a limit stopped the walk, so nothing more is opened. */
  private stopped = false;

  constructor(limits: JavaArchiveLimits) {
    this.limits = limits;
  }

  private add(a: JavaArtifact): void {
    const key = `${a.nested ?? ''}\0${a.groupId ?? ''}\0${a.artifactId}\0${a.version}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.artifacts.push(a);
  }

  /** Reads one entry within the byte budget. */
  private read(buf: Buffer, dir: ZipDirectory, entry: ZipEntry, max: number): Buffer {
    const left = this.limits.maxTotalBytes - this.bytes;
    if (entry.size > left) {
      this.stopped = true;
      throw new FormatError(
        `${entry.name}: reading its ${entry.size} bytes would pass the limit of ${this.limits.maxTotalBytes} uncompressed bytes for one archive (a zip bomb?)`,
      );
    }
    const data = readZipEntry(buf, dir, entry, max);
    this.bytes += data.length;
    return data;
  }

  /** Reads an archive (the image file itself at depth 0) and, recursively, the archives inside. */
  archive(buf: Buffer, fileName: string, nested: string | undefined, depth: number): void {
    const where = nested === undefined ? '' : `${nested}: `;
    let dir: ZipDirectory;
    try {
      dir = readZipDirectory(
        buf,
        (name) => POM_PROPERTIES.test(name) || name.toUpperCase() === MANIFEST || ARCHIVE.test(name),
        this.limits.maxEntries,
      );
    } catch (err) {
      this.problems.push(`${where}${errorMessage(err)}`);
      return;
    }
    const text = (entry: ZipEntry): string | undefined => {
      try {
        return this.read(buf, dir, entry, MAX_TEXT_BYTES).toString('utf8');
      } catch (err) {
        this.problems.push(`${where}${errorMessage(err)}`);
        return undefined;
      }
    };

    let identified = false;
    for (const entry of dir.entries) {
      if (!POM_PROPERTIES.test(entry.name)) continue;
      const content = text(entry);
      if (content === undefined) continue;
      const props = parseProperties(content);
      const groupId = props.get('groupId');
      const artifactId = props.get('artifactId');
      const version = props.get('version');
      if (groupId && artifactId && version) {
        this.add({ groupId, artifactId, version, source: 'pom.properties', nested });
        identified = true;
      }
    }
    if (!identified) this.identifyWithoutPom(dir, text, fileName, nested, where);

    for (const entry of dir.entries) {
      if (!ARCHIVE.test(entry.name) || entry.name.endsWith('/')) continue;
      if (this.stopped) return;
      const inner = nested === undefined ? entry.name : `${nested}!/${entry.name}`;
      if (depth + 1 > this.limits.maxDepth) {
        this.problems.push(`${inner}: nested deeper than ${this.limits.maxDepth} archives; not opened`);
        continue;
      }
      if (++this.archives > this.limits.maxArchives) {
        this.problems.push(`more than ${this.limits.maxArchives} nested archives; the rest were not opened`);
        this.stopped = true;
        return;
      }
      let data: Buffer;
      try {
        data = this.read(buf, dir, entry, this.limits.maxNestedBytes);
      } catch (err) {
        this.problems.push(`${where}${errorMessage(err)}`);
        continue;
      }
      this.archive(data, entry.name.slice(entry.name.lastIndexOf('/') + 1), inner, depth + 1);
    }
  }

  /** Identity from the manifest (title/version, else bundle name/version), else the file name. */
  private identifyWithoutPom(
    dir: ZipDirectory,
    text: (entry: ZipEntry) => string | undefined,
    fileName: string,
    nested: string | undefined,
    where: string,
  ): void {
    const manifestEntry = dir.entries.find((e) => e.name.toUpperCase() === MANIFEST);
    const content = manifestEntry === undefined ? undefined : text(manifestEntry);
    const manifest = parseManifest(content ?? '');
    const file = parseArchiveFileName(fileName);
    const title = manifestValue(manifest, 'Implementation-Title');
    const bundle = manifestValue(manifest, 'Bundle-SymbolicName')?.split(';')[0]?.trim();
    const name =
      title !== undefined && IDENTIFIER.test(title)
        ? title
        : bundle !== undefined && IDENTIFIER.test(bundle)
          ? bundle
          : undefined;
    const manifestVersion =
      manifestValue(manifest, 'Implementation-Version') ?? manifestValue(manifest, 'Bundle-Version');
    const vendorId = manifestValue(manifest, 'Implementation-Vendor-Id');
    const groupId = vendorId !== undefined && IDENTIFIER.test(vendorId) ? vendorId : undefined;
    if (name !== undefined && manifestVersion !== undefined) {
      this.add({ groupId, artifactId: name, version: manifestVersion, source: 'MANIFEST.MF', nested });
      return;
    }
    const version = file.version ?? manifestVersion;
    if (version !== undefined && file.name !== '') {
      this.add({ groupId, artifactId: file.name, version, source: 'file name', nested });
      return;
    }
    this.problems.push(
      `${where}no pom.properties, manifest version or versioned file name to identify ${fileName}`,
    );
  }
}

/**
 * Reads a Java archive and the archives nested in it. Never throws for bad input: damaged
 * archives, limits reached and unidentifiable archives are listed in `problems`.
 */
export function readJavaArchive(
  buf: Buffer,
  fileName: string,
  limits: JavaArchiveLimits = DEFAULT_JAVA_ARCHIVE_LIMITS,
): JavaSummary {
  const walk = new Walk(limits);
  walk.archive(buf, fileName, undefined, 0);
  return { artifacts: walk.artifacts, problems: walk.problems };
}

/** The Maven package of an artifact; without a known groupId the artifactId stands in for it (purl requires one). */
function javaPackage(a: JavaArtifact, location: Package['location']): Package {
  const namespace = a.groupId ?? a.artifactId;
  const metadata: Record<string, string> = { source: a.source };
  if (a.groupId === undefined) metadata['groupIdGuessed'] = 'true';
  if (a.nested !== undefined) metadata['nested'] = a.nested;
  return {
    type: 'maven',
    namespace,
    name: a.artifactId,
    version: a.version,
    purl: toPurl({ type: 'maven', namespace, name: a.artifactId, version: a.version }),
    licenses: [],
    location,
    metadata,
  };
}

function analyze(ctx: AnalyzerContext): AnalyzerResult {
  const packages: Package[] = [];
  const gaps: InventoryGap[] = [];
  for (const path of ctx.paths) {
    // The runner hands back exactly what this analyzer's reducer returned for the file.
    const summary = ctx.summary(path) as JavaSummary | undefined;
    if (summary === undefined) {
      // The reducer always returns a summary, so the reader never ran it: the file was over
      // its maxFileBytes limit (the reader's warning says so).
      gaps.push({ analyzer: ID, path, reason: 'archive not read: larger than the layer reader may buffer' });
      continue;
    }
    const location = ctx.location(path);
    for (const a of summary.artifacts) {
      try {
        packages.push(javaPackage(a, location));
      } catch (err) {
        gaps.push({ analyzer: ID, path, reason: errorMessage(err) });
      }
    }
    for (const reason of summary.problems) gaps.push({ analyzer: ID, path, reason });
  }
  return { packages, gaps };
}

/** An analyzer for Java archives with other limits than the defaults. */
export function createJavaArchiveAnalyzer(limits: Partial<JavaArchiveLimits> = {}): Analyzer {
  const resolved = { ...DEFAULT_JAVA_ARCHIVE_LIMITS, ...limits };
  return {
    id: ID,
    summarize: (path, meta) => {
      if (!ARCHIVE.test(path) || meta.size === 0) return undefined;
      const fileName = path.slice(path.lastIndexOf('/') + 1);
      return (content) => readJavaArchive(content, fileName, resolved);
    },
    analyze,
  };
}

/** Java archives (jar, war, ear, jpi, hpi) and the archives nested in them, as Maven packages. */
export const javaArchiveAnalyzer: Analyzer = createJavaArchiveAnalyzer();
