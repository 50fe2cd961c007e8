// package-lock.json / npm-shrinkwrap.json reader, lockfileVersion 1, 2 and 3
// (https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json). v2 carries both the v3
// `packages` map and the v1 `dependencies` tree; the `packages` map is read when present.
// The hidden lockfile node_modules/.package-lock.json has the v3 shape and is read here too.
import type { z } from 'zod';
import { truncateForMessage } from '../../core/index.js';
import {
  compactMetadata,
  LangParseError,
  parseJsonText,
  type FoundPackage,
  type ParsedFile,
} from './common.js';
import { isPlausibleNpmName, npmFound, npmLicenses } from './npm-names.js';
import {
  describeIssue,
  lockPackageEntrySchema,
  lockV1EntrySchema,
  packageLockSchema,
  type LockPackageEntry,
} from './schema.js';

/** v1 trees nest one level per `node_modules`; deeper than this is hostile, not npm. */
const MAX_V1_DEPTH = 128;

/** One installed location a lockfile lists, before packages at several locations are merged. */
type Locked = {
  readonly name: string;
  readonly version: string;
  readonly dev: boolean;
  readonly optional: boolean;
  readonly resolved: string | undefined;
  readonly integrity: string | undefined;
  readonly licenses: readonly string[];
};

/** The `packages` map of a v2/v3 lockfile keyed by install path (`node_modules/a/node_modules/b`). */
export type LockEntries = ReadonlyMap<string, LockPackageEntry>;

/** The package name an install path ends in: `node_modules/@s/a/node_modules/b` → `b`. */
export function npmNameFromInstallPath(key: string): string {
  const i = key.lastIndexOf('node_modules/');
  return i < 0 ? key : key.slice(i + 'node_modules/'.length);
}

function parseLockJson(text: string): { value: z.infer<typeof packageLockSchema> } {
  const json = parseJsonText(text);
  if (!json.ok) throw new LangParseError(json.reason);
  const outer = packageLockSchema.safeParse(json.value);
  if (!outer.success) throw new LangParseError(`not an npm lockfile: ${describeIssue(outer.error)}`);
  return { value: outer.data };
}

/**
 * The v2/v3 `packages` entries by install path, each checked against the entry schema; the
 * entries that fail are reported in `problems`.
 *
 * @throws LangParseError when the text is not JSON or not shaped like an npm lockfile.
 */
export function readLockEntries(text: string): { entries: LockEntries; problems: string[] } {
  return entriesOf(parseLockJson(text).value.packages ?? {});
}

function entriesOf(packages: Record<string, unknown>): { entries: LockEntries; problems: string[] } {
  const entries = new Map<string, LockPackageEntry>();
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(packages)) {
    const entry = lockPackageEntrySchema.safeParse(raw);
    if (entry.success) entries.set(key, entry.data);
    else problems.push(`"${truncateForMessage(key)}": ${describeIssue(entry.error)}`);
  }
  return { entries, problems };
}

function fromPackagesMap(entries: LockEntries, problems: string[]): Locked[] {
  const out: Locked[] = [];
  for (const [key, entry] of entries) {
    // "" is the project itself; keys outside node_modules are workspace folders (the project's
    // own code); links point at those folders. None of them is a package fetched from a registry.
    if (key === '' || !key.includes('node_modules/') || entry.link === true) continue;
    const name = entry.name ?? npmNameFromInstallPath(key);
    if (entry.version === undefined || entry.version === '') {
      problems.push(`"${truncateForMessage(key)}" has no version`);
      continue;
    }
    if (!isPlausibleNpmName(name)) {
      problems.push(`"${truncateForMessage(key)}" has an invalid package name "${truncateForMessage(name)}"`);
      continue;
    }
    out.push({
      name,
      version: entry.version,
      // devOptional (needed by an optional dependency too) is not counted as dev-only.
      dev: entry.dev === true,
      optional: entry.optional === true,
      resolved: entry.resolved,
      integrity: entry.integrity,
      licenses: npmLicenses(entry.license),
    });
  }
  return out;
}

/** `npm:real-name@1.2.3` (a v1 alias) → the real name and version. */
function unalias(name: string, version: string): { name: string; version: string } {
  if (!version.startsWith('npm:')) return { name, version };
  const spec = version.slice('npm:'.length);
  const at = spec.lastIndexOf('@');
  return at > 0 ? { name: spec.slice(0, at), version: spec.slice(at + 1) } : { name, version };
}

function fromV1Tree(root: Record<string, unknown>, problems: string[]): Locked[] {
  const out: Locked[] = [];
  // Iterative walk: a hostile file nesting thousands of levels must not overflow the stack.
  const stack: { deps: Record<string, unknown>; depth: number; at: string }[] = [
    { deps: root, depth: 1, at: '' },
  ];
  for (let level = stack.pop(); level !== undefined; level = stack.pop()) {
    for (const [key, raw] of Object.entries(level.deps)) {
      const where = `${level.at}${key}`;
      const entry = lockV1EntrySchema.safeParse(raw);
      if (!entry.success) {
        problems.push(`"${truncateForMessage(where)}": ${describeIssue(entry.error)}`);
        continue;
      }
      const e = entry.data;
      if (e.dependencies !== undefined) {
        if (level.depth >= MAX_V1_DEPTH)
          problems.push(`"${truncateForMessage(where)}" nests deeper than ${MAX_V1_DEPTH} levels`);
        else stack.push({ deps: e.dependencies, depth: level.depth + 1, at: `${where} > ` });
      }
      // file: versions are folders of the project itself, not registry packages.
      if (e.version.startsWith('file:')) continue;
      const { name, version } = unalias(key, e.version);
      if (!isPlausibleNpmName(name) || version === '') {
        problems.push(`"${truncateForMessage(where)}" has an invalid name or version`);
        continue;
      }
      out.push({
        name,
        version,
        dev: e.dev === true,
        optional: e.optional === true,
        resolved: e.resolved,
        integrity: e.integrity,
        licenses: [],
      });
    }
  }
  return out;
}

/**
 * Merges the locations of one name@version: it is dev (or optional) only if every location
 * is, since one production path is enough for it to ship.
 */
function mergeLocked(all: readonly Locked[]): FoundPackage[] {
  const byId = new Map<string, Locked>();
  for (const l of all) {
    const id = `${l.name}@${l.version}`;
    const seen = byId.get(id);
    byId.set(
      id,
      seen === undefined
        ? l
        : {
            ...seen,
            dev: seen.dev && l.dev,
            optional: seen.optional && l.optional,
            licenses: seen.licenses.length > 0 ? seen.licenses : l.licenses,
          },
    );
  }
  return [...byId.values()].map((l) =>
    npmFound(
      l.name,
      l.version,
      l.licenses,
      compactMetadata({
        dev: l.dev ? 'true' : undefined,
        optional: l.optional ? 'true' : undefined,
        resolved: l.resolved,
        integrity: l.integrity,
      }),
    ),
  );
}

/**
 * The packages a package-lock.json (or npm-shrinkwrap.json) lists, one per name@version, with
 * `dev`/`optional` metadata. The project itself, workspace folders, links and `file:`
 * dependencies are not packages and are left out.
 *
 * @throws LangParseError when the text is not JSON or not shaped like an npm lockfile.
 */
export function parsePackageLock(
  text: string,
): ParsedFile & { readonly lockfileVersion: number | undefined } {
  const { value } = parseLockJson(text);
  const problems: string[] = [];
  let locked: Locked[];
  if (value.packages !== undefined) {
    const read = entriesOf(value.packages);
    problems.push(...read.problems);
    locked = fromPackagesMap(read.entries, problems);
  } else if (value.dependencies !== undefined) {
    locked = fromV1Tree(value.dependencies, problems);
  } else {
    locked = [];
  }
  return { packages: mergeLocked(locked), problems, lockfileVersion: value.lockfileVersion };
}
