// yarn.lock reader for both formats yarn writes:
// - classic (yarn 1, "# yarn lockfile v1"): `key value` lines, nested blocks by two-space indent;
// - berry (yarn 2+, a YAML subset with a `__metadata:` block): `key: value` lines, same nesting.
// Both are the same indentation tree apart from the key/value separator, so one small line
// parser reads both; anything outside that subset (tabs, flow collections, lists) is refused
// with the line number instead of being guessed at.
import { truncateForMessage } from '../../core/index.js';
import { compactMetadata, LangParseError, type FoundPackage, type ParsedFile } from './common.js';
import { isPlausibleNpmName, npmFound } from './npm-names.js';
import type { PackageJson } from './schema.js';

/** yarn writes two levels below an entry (dependenciesMeta → name → optional); more is not yarn. */
const MAX_NESTING = 8;

/** A scalar, or a nested block of key → node. */
export type YarnNode = string | YarnBlock;
export type YarnBlock = ReadonlyMap<string, YarnNode>;

/** One top-level block: the descriptors it resolves (`a@^1, a@^1.2`) and its fields. */
export type YarnEntry = {
  readonly descriptors: readonly string[];
  readonly fields: YarnBlock;
  readonly line: number;
};

export type YarnFormat = 'classic' | 'berry';

/** Index of the first `sep` outside double quotes, or -1. */
function indexOutsideQuotes(s: string, sep: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (s.startsWith(sep, i)) {
      return i;
    }
  }
  return -1;
}

function unquote(raw: string, line: number): string {
  const s = raw.trim();
  if (s.startsWith('"')) {
    if (s.length < 2 || !s.endsWith('"'))
      throw new LangParseError(`line ${line}: unterminated string ${truncateForMessage(s, 60)}`);
    try {
      const v: unknown = JSON.parse(s);
      if (typeof v === 'string') return v;
    } catch {
      // reported below
    }
    throw new LangParseError(`line ${line}: malformed quoted string ${truncateForMessage(s, 60)}`);
  }
  if (s.startsWith("'")) {
    if (s.length < 2 || !s.endsWith("'"))
      throw new LangParseError(`line ${line}: unterminated string ${truncateForMessage(s, 60)}`);
    return s.slice(1, -1).replaceAll("''", "'");
  }
  if (
    s.startsWith('[') ||
    s.startsWith('{') ||
    s.startsWith('- ') ||
    s === '-' ||
    s.startsWith('&') ||
    s.startsWith('*')
  ) {
    throw new LangParseError(
      `line ${line}: YAML construct yarn does not write: ${truncateForMessage(s, 60)}`,
    );
  }
  return s;
}

/** Splits a top-level key `"a@^1", a@^1.2` into its descriptors. */
function splitDescriptors(key: string, line: number): string[] {
  const out: string[] = [];
  let rest = key;
  for (let i = indexOutsideQuotes(rest, ','); i >= 0; i = indexOutsideQuotes(rest, ',')) {
    out.push(unquote(rest.slice(0, i), line));
    rest = rest.slice(i + 1);
  }
  out.push(unquote(rest, line));
  return out.filter((d) => d !== '');
}

/**
 * The entries of a yarn.lock, in file order, and which format it is in.
 *
 * @throws LangParseError naming the line for anything outside the two formats.
 */
export function parseYarnLockStructure(text: string): { format: YarnFormat; entries: YarnEntry[] } {
  const lines = text.split('\n');
  const format: YarnFormat = lines.some((l) => /^"?__metadata"?:\s*$/.test(l)) ? 'berry' : 'classic';
  const separator = format === 'berry' ? ': ' : ' ';
  const entries: YarnEntry[] = [];
  // Open blocks, innermost last; the top level has indent -1.
  const stack: { indent: number; block: Map<string, YarnNode> }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] ?? '').replace(/\r$/, '');
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - content.length;
    if (line.slice(0, indent).includes('\t')) throw new LangParseError(`line ${lineNo}: tab in indentation`);
    while (stack.length > 0 && (stack[stack.length - 1]?.indent ?? -1) >= indent) stack.pop();
    const parent = stack[stack.length - 1];
    const trimmed = content.trimEnd();
    // In berry a value may end in ':' only after a ': ' separator; classic values are quoted.
    const opensBlock =
      trimmed.endsWith(':') && (format === 'classic' || indexOutsideQuotes(trimmed, ': ') < 0);

    if (parent === undefined) {
      if (indent !== 0) throw new LangParseError(`line ${lineNo}: indented line outside any entry`);
      if (!opensBlock)
        throw new LangParseError(
          `line ${lineNo}: expected an entry ("name@range:"), found ${truncateForMessage(trimmed, 60)}`,
        );
      const block = new Map<string, YarnNode>();
      entries.push({
        descriptors: splitDescriptors(trimmed.slice(0, -1), lineNo),
        fields: block,
        line: lineNo,
      });
      stack.push({ indent, block });
      continue;
    }
    if (stack.length > MAX_NESTING)
      throw new LangParseError(`line ${lineNo}: nested deeper than ${MAX_NESTING} levels`);
    if (opensBlock) {
      const block = new Map<string, YarnNode>();
      parent.block.set(unquote(trimmed.slice(0, -1), lineNo), block);
      stack.push({ indent, block });
      continue;
    }
    const at = indexOutsideQuotes(trimmed, separator);
    if (at <= 0)
      throw new LangParseError(
        `line ${lineNo}: expected "key${separator}value", found ${truncateForMessage(trimmed, 60)}`,
      );
    parent.block.set(
      unquote(trimmed.slice(0, at), lineNo),
      unquote(trimmed.slice(at + separator.length), lineNo),
    );
  }
  return { format, entries };
}

/** `@scope/name@range` → name and range (the first `@` after a scope's own). */
export function splitDescriptor(descriptor: string): { name: string; range: string } | undefined {
  const at = descriptor.indexOf('@', descriptor.startsWith('@') ? 1 : 0);
  if (at <= 0) return undefined;
  return { name: descriptor.slice(0, at), range: descriptor.slice(at + 1) };
}

// Protocols that point at the project's own folders, not at packages fetched from anywhere.
const LOCAL_PROTOCOLS = ['workspace:', 'link:', 'portal:', 'file:'];

function isLocal(range: string): boolean {
  return LOCAL_PROTOCOLS.some((p) => range.startsWith(p));
}

function str(block: YarnBlock, key: string): string | undefined {
  const v = block.get(key);
  return typeof v === 'string' ? v : undefined;
}

function blockOf(block: YarnBlock, key: string): YarnBlock | undefined {
  const v = block.get(key);
  return typeof v === 'string' ? undefined : v;
}

/** Dependency edges of an entry as descriptors (`ms@2.1.2` classic, `ms@npm:2.1.2` berry). */
function edgesOf(fields: YarnBlock): string[] {
  const out: string[] = [];
  for (const key of ['dependencies', 'optionalDependencies']) {
    for (const [dep, range] of blockOf(fields, key) ?? [])
      if (typeof range === 'string') out.push(`${dep}@${range}`);
  }
  return out;
}

type Resolved = {
  readonly name: string;
  readonly version: string;
  readonly fields: YarnBlock;
  readonly entry: YarnEntry;
};

/** The real package an entry resolves to, or a reason it is not a package, or undefined to skip it. */
function resolveEntry(format: YarnFormat, entry: YarnEntry): Resolved | string | undefined {
  const first = entry.descriptors[0];
  const version = str(entry.fields, 'version');
  if (first === undefined) return `line ${entry.line}: entry without a descriptor`;
  let name: string;
  if (format === 'berry') {
    const resolution = str(entry.fields, 'resolution');
    const parsed = splitDescriptor(resolution ?? first);
    if (parsed === undefined)
      return `line ${entry.line}: cannot read the package name of "${truncateForMessage(resolution ?? first)}"`;
    if (isLocal(parsed.range)) return undefined;
    name = parsed.name;
  } else {
    const parsed = splitDescriptor(first);
    if (parsed === undefined)
      return `line ${entry.line}: cannot read the package name of "${truncateForMessage(first)}"`;
    if (isLocal(parsed.range)) return undefined;
    // `alias@npm:real@1.2.3`: the package installed is the real one.
    const alias = parsed.range.startsWith('npm:') ? splitDescriptor(parsed.range.slice(4)) : undefined;
    name = alias !== undefined && alias.name !== '' ? alias.name : parsed.name;
  }
  if (version === undefined || version === '')
    return `line ${entry.line}: "${truncateForMessage(first)}" has no version`;
  if (!isPlausibleNpmName(name))
    return `line ${entry.line}: invalid package name "${truncateForMessage(name)}"`;
  return { name, version, fields: entry.fields, entry };
}

/** How an entry is reached from the project's package.json. */
type Reach = 'prod' | 'dev' | 'unknown';

/**
 * How each entry is reached, walking the lockfile graph from the project's package.json:
 * production roots are `dependencies` and `optionalDependencies`, dev roots `devDependencies`.
 * Entries neither walk reaches (other workspaces' dependencies, berry's patched copies) are
 * `unknown`, so nothing is called dev without evidence.
 */
function reachOf(
  format: YarnFormat,
  entries: readonly YarnEntry[],
  project: PackageJson,
): (e: YarnEntry) => Reach {
  const byDescriptor = new Map<string, YarnEntry>();
  for (const e of entries) for (const d of e.descriptors) byDescriptor.set(d, e);
  // Berry normalizes ranges (`7.5.8` → `npm:7.5.8`); its root workspace entry lists them as locked.
  const rootWorkspace =
    format === 'berry'
      ? entries.find((e) => (str(e.fields, 'resolution') ?? '').endsWith('@workspace:.'))
      : undefined;
  const rootRanges = rootWorkspace === undefined ? undefined : blockOf(rootWorkspace.fields, 'dependencies');
  const descriptorFor = (name: string, range: unknown): string | undefined => {
    const locked = rootRanges?.get(name);
    if (typeof locked === 'string') return `${name}@${locked}`;
    if (typeof range !== 'string') return undefined;
    return format === 'berry' && !/^[a-z][a-z+-]*:/.test(range) ? `${name}@npm:${range}` : `${name}@${range}`;
  };
  const walk = (
    roots: readonly Record<string, unknown>[],
    into: Set<YarnEntry>,
    except: ReadonlySet<YarnEntry>,
  ): void => {
    const queue: string[] = [];
    for (const deps of roots) {
      for (const [name, range] of Object.entries(deps)) {
        const d = descriptorFor(name, range);
        if (d !== undefined) queue.push(d);
      }
    }
    for (let d = queue.pop(); d !== undefined; d = queue.pop()) {
      const e = byDescriptor.get(d);
      if (e === undefined || into.has(e) || except.has(e)) continue;
      into.add(e);
      queue.push(...edgesOf(e.fields));
    }
  };
  const prod = new Set<YarnEntry>();
  walk([project.dependencies ?? {}, project.optionalDependencies ?? {}], prod, new Set());
  const dev = new Set<YarnEntry>();
  walk([project.devDependencies ?? {}], dev, prod);
  return (e) => (prod.has(e) ? 'prod' : dev.has(e) ? 'dev' : 'unknown');
}

// Merging entries of one name@version: one production path is enough for it to ship; dev
// evidence beats no evidence (berry's patched copy of a dev-only typescript is unreached).
const REACH_RANK: Readonly<Record<Reach, number>> = { prod: 2, dev: 1, unknown: 0 };

/**
 * The packages a yarn.lock (classic or berry) lists, one per name@version. With the project's
 * package.json, packages only development dependencies need carry `dev: "true"`. Workspace,
 * link, portal and file entries (the project's own folders) are left out.
 *
 * @throws LangParseError naming the line when the file is not a yarn lockfile.
 */
export function parseYarnLock(
  text: string,
  project?: PackageJson,
): ParsedFile & { readonly format: YarnFormat } {
  const { format, entries } = parseYarnLockStructure(text);
  const packageEntries = entries.filter((e) => !e.descriptors.includes('__metadata'));
  const reach = project === undefined ? undefined : reachOf(format, packageEntries, project);
  const problems: string[] = [];
  const byId = new Map<string, { r: Resolved; reach: Reach }>();
  for (const entry of packageEntries) {
    const r = resolveEntry(format, entry);
    if (r === undefined) continue;
    if (typeof r === 'string') {
      problems.push(r);
      continue;
    }
    const id = `${r.name}@${r.version}`;
    const here = reach?.(entry) ?? 'unknown';
    const seen = byId.get(id);
    byId.set(
      id,
      seen === undefined || REACH_RANK[here] > REACH_RANK[seen.reach]
        ? { r: seen?.r ?? r, reach: here }
        : seen,
    );
  }
  const packages: FoundPackage[] = [...byId.values()].map(({ r, reach: how }) =>
    npmFound(
      r.name,
      r.version,
      [],
      compactMetadata({
        dev: how === 'dev' ? 'true' : undefined,
        resolved: format === 'berry' ? str(r.fields, 'resolution') : str(r.fields, 'resolved'),
        integrity: format === 'berry' ? str(r.fields, 'checksum') : str(r.fields, 'integrity'),
      }),
    ),
  );
  return { packages, problems, format };
}
