// Helpers every language analyzer shares: size caps, reading a wanted file as text, turning
// parsed facts into Packages (purl, location) and collecting gaps, so each analyzer module
// only holds its format's parsing and policy.
import { errorMessage, imagePathBase, truncateForMessage } from '../../core/index.js';
import { toPurl } from '../purl.js';
import type { AnalyzerContext, AnalyzerResult, InventoryGap, Package, PackageType } from '../types.js';

/** Largest manifest-like file read (package.json, METADATA, gemspec, installed.json entries are small). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Largest lock file read (a big monorepo's package-lock.json is tens of MiB). */
export const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

/** What a parser found about one package, before it is placed in the image. */
export type FoundPackage = {
  readonly name: string;
  readonly namespace?: string;
  readonly version: string;
  readonly licenses: readonly string[];
  readonly metadata?: Readonly<Record<string, string>>;
};

/** Thrown by the small text parsers in this folder; the analyzer turns it into a gap. */
export class LangParseError extends Error {
  override readonly name = 'LangParseError';
}

/** The parsed result of one file: what it lists and what could not be read in it. */
export type ParsedFile = {
  readonly packages: readonly FoundPackage[];
  /** Entries skipped as unreadable, one message each (reported as one gap per file). */
  readonly problems: readonly string[];
};

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Bytes as UTF-8 text (a leading BOM dropped, invalid sequences replaced, never throwing). */
export function decodeText(content: Buffer): string {
  return decoder.decode(content);
}

/** Parses JSON text; the error message names what was wrong, truncated. */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${truncateForMessage(errorMessage(err))}` };
  }
}

/** True when any directory above the file (not the file itself) is a `node_modules` folder. */
export function isInsideNodeModules(path: string): boolean {
  return path.startsWith('node_modules/') || path.includes('/node_modules/');
}

/**
 * Collects one analyzer's packages, gaps and warnings while it walks the files it asked for.
 * Packages get their purl here, so a name no purl can be made of becomes a gap, not a crash.
 */
export class Collector {
  readonly packages: Package[] = [];
  readonly gaps: InventoryGap[] = [];
  readonly warnings: string[] = [];

  constructor(
    readonly analyzer: string,
    private readonly ctx: AnalyzerContext,
  ) {}

  gap(path: string, reason: string): void {
    this.gaps.push({ analyzer: this.analyzer, path, reason });
  }

  /**
   * The text of a wanted file, or undefined after recording why not: too large, unreadable.
   * Directories that matched a file pattern (`x.egg-info/` is both) are skipped silently.
   */
  readText(path: string, maxBytes: number): string | undefined {
    const content = this.ctx.read(path);
    if (content === undefined) {
      const entry = this.ctx.tree.resolve(path);
      if (entry?.type !== 'dir') this.gap(path, 'the file could not be read from the image');
      return undefined;
    }
    if (content.length > maxBytes) {
      this.gap(
        path,
        `the file is ${content.length} bytes, more than the ${maxBytes}-byte cap for ${imagePathBase(path)}`,
      );
      return undefined;
    }
    return decodeText(content);
  }

  /** Records the problems of a parsed file as one gap (the file was read, some entries were not). */
  problems(path: string, problems: readonly string[]): void {
    const first = problems[0];
    if (first === undefined) return;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    this.gap(path, `${problems.length} entr${problems.length === 1 ? 'y' : 'ies'} skipped: ${first}${more}`);
  }

  /** Adds a package found in `path`; returns it, or undefined when no purl could be made (a gap). */
  add(type: PackageType, path: string, found: FoundPackage, declaredOnly = false): Package | undefined {
    let purl: string;
    try {
      purl = toPurl({
        type,
        name: found.name,
        version: found.version,
        ...(found.namespace !== undefined ? { namespace: found.namespace } : {}),
      });
    } catch (err) {
      this.gap(path, errorMessage(err));
      return undefined;
    }
    const pkg: Package = {
      type,
      ...(found.namespace !== undefined ? { namespace: found.namespace } : {}),
      name: found.name,
      version: found.version,
      purl,
      licenses: found.licenses,
      location: this.ctx.location(path),
      ...(declaredOnly ? { declaredOnly: true } : {}),
      ...(found.metadata !== undefined && Object.keys(found.metadata).length > 0
        ? { metadata: found.metadata }
        : {}),
    };
    this.packages.push(pkg);
    return pkg;
  }

  /**
   * Parses every file this analyzer asked for that `match` selects, adding what `parse` lists as
   * `type` packages; a file the parser refuses (LangParseError) becomes a gap for that file.
   */
  parseEach(
    match: (path: string) => boolean,
    maxBytes: number,
    parse: (text: string) => ParsedFile,
    type: PackageType,
    declaredOnly = false,
  ): void {
    for (const p of this.ctx.paths) {
      if (!match(p)) continue;
      const text = this.readText(p, maxBytes);
      if (text === undefined) continue;
      try {
        const parsed = parse(text);
        this.problems(p, parsed.problems);
        for (const f of parsed.packages) this.add(type, p, f, declaredOnly);
      } catch (err) {
        if (!(err instanceof LangParseError)) throw err;
        this.gap(p, err.message);
      }
    }
  }

  result(): AnalyzerResult {
    return { packages: this.packages, gaps: this.gaps, warnings: this.warnings };
  }
}

/** Metadata with only the entries that have a value. */
export function compactMetadata(entries: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/** Distinct non-empty license strings, trimmed, in first-seen order. */
export function distinctLicenses(values: Iterable<string | undefined>): string[] {
  const seen = new Set<string>();
  for (const v of values) {
    const t = v?.trim();
    if (t !== undefined && t !== '') seen.add(t);
  }
  return [...seen];
}
