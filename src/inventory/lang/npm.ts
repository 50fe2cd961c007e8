// Node.js packages. What is installed is read from each package's own package.json under
// node_modules (the files npm, yarn and pnpm unpack; a lockfile may be stale or absent, the
// installed files are what runs). The hidden lockfile node_modules/.package-lock.json only
// enriches those packages (dev/optional flags, resolved URL, integrity): it never adds a
// package whose folder is gone. Lockfiles outside node_modules (package-lock.json,
// npm-shrinkwrap.json, yarn.lock) add the packages they pin as `declaredOnly`, except those
// installed in the node_modules beside them, which are already reported from their own files.
// Development dependencies are reported, marked with metadata `dev: "true"`, so that a consumer
// can decide; a production image usually has none installed.
import { imagePathBase, imagePathDir, truncateForMessage } from '../../core/index.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult } from '../types.js';
import {
  Collector,
  compactMetadata,
  isInsideNodeModules,
  LangParseError,
  MAX_LOCKFILE_BYTES,
  MAX_MANIFEST_BYTES,
  parseJsonText,
  type FoundPackage,
  type ParsedFile,
} from './common.js';
import { parsePackageLock, readLockEntries, type LockEntries } from './npm-lock.js';
import { isPlausibleNpmName, npmFound, npmLicenses } from './npm-names.js';
import { describeIssue, packageJsonSchema, type PackageJson } from './schema.js';
import { parseYarnLock } from './yarn-lock.js';

/** Nested node_modules beyond this depth are not read (npm 2 trees reach ~15; deeper is hostile). */
export const MAX_NODE_MODULES_DEPTH = 32;

/** What an npm-related path is, as far as this analyzer cares. */
export type NpmFileKind = 'installed' | 'hidden-lockfile' | 'package-lock' | 'yarn-lock' | 'project';

/**
 * Classifies a path: a package root's package.json inside node_modules (`node_modules/x/` or
 * `node_modules/@s/x/`, at any depth, never a file deeper inside a package), the hidden
 * lockfile, a lockfile or project package.json outside node_modules; undefined otherwise.
 */
export function classifyNpmPath(path: string): NpmFileKind | undefined {
  const base = imagePathBase(path);
  if (base === 'package.json') {
    const parts = path.split('/');
    const nm = parts.lastIndexOf('node_modules', parts.length - 2);
    if (nm < 0) return 'project';
    const pkgParts = parts.slice(nm + 1, -1);
    const [first, second] = pkgParts;
    if (first === undefined || first.startsWith('.')) return undefined;
    if (pkgParts.length === 1 && !first.startsWith('@')) return 'installed';
    if (
      pkgParts.length === 2 &&
      first.startsWith('@') &&
      first.length > 1 &&
      second !== undefined &&
      !second.startsWith('.')
    ) {
      return 'installed';
    }
    return undefined;
  }
  if (base === '.package-lock.json') {
    return imagePathBase(imagePathDir(path)) === 'node_modules' ? 'hidden-lockfile' : undefined;
  }
  if (base === 'package-lock.json' || base === 'npm-shrinkwrap.json') {
    return isInsideNodeModules(path) ? undefined : 'package-lock';
  }
  if (base === 'yarn.lock') return isInsideNodeModules(path) ? undefined : 'yarn-lock';
  return undefined;
}

/** The folder holding the outermost node_modules of a path (`app` for `app/node_modules/a/...`). */
function projectDirOf(path: string): { dir: string; installPath: string } {
  const i = path.startsWith('node_modules/') ? 0 : path.indexOf('/node_modules/') + 1;
  return { dir: i === 0 ? '' : path.slice(0, i - 1), installPath: imagePathDir(path).slice(i) };
}

function nodeModulesDepth(path: string): number {
  let n = 0;
  for (const seg of path.split('/')) if (seg === 'node_modules') n++;
  return n;
}

/** The path up to and including the node_modules at the depth cap (where a too-deep subtree starts). */
function depthCapPrefix(path: string): string {
  const parts = path.split('/');
  let n = 0;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === 'node_modules' && ++n > MAX_NODE_MODULES_DEPTH) return parts.slice(0, i + 1).join('/');
  }
  return path;
}

/** Reads a package.json as the zod schema says, or a reason it cannot be. */
export function readPackageJson(text: string): PackageJson | string {
  const json = parseJsonText(text);
  if (!json.ok) return json.reason;
  const parsed = packageJsonSchema.safeParse(json.value);
  return parsed.success ? parsed.data : `not a package.json: ${describeIssue(parsed.error)}`;
}

/**
 * The package an installed package.json describes, or a reason it does not name one. The
 * `name` field is the package's real name even when the folder is an alias (`node_modules/isnum`
 * holding is-number).
 */
export function installedPackage(text: string): FoundPackage | string {
  const manifest = readPackageJson(text);
  if (typeof manifest === 'string') return manifest;
  const { name, version } = manifest;
  if (name === undefined || name === '') return 'package.json has no "name"';
  if (version === undefined || version === '')
    return `package.json of "${truncateForMessage(name)}" has no "version"`;
  if (!isPlausibleNpmName(name)) return `package.json has an invalid name "${truncateForMessage(name)}"`;
  return npmFound(
    name,
    version,
    npmLicenses(manifest.license, manifest.licenses),
    compactMetadata({ private: manifest.private === true ? 'true' : undefined }),
  );
}

function analyzeNpm(ctx: AnalyzerContext): AnalyzerResult {
  const c = new Collector('npm', ctx);
  const byKind = new Map<NpmFileKind, string[]>();
  for (const p of ctx.paths) {
    const kind = classifyNpmPath(p);
    if (kind === undefined) continue;
    const list = byKind.get(kind);
    if (list === undefined) byKind.set(kind, [p]);
    else list.push(p);
  }
  const wanted = new Set(ctx.paths);

  const hidden = new Map<string, LockEntries>();
  for (const p of byKind.get('hidden-lockfile') ?? []) {
    const text = c.readText(p, MAX_LOCKFILE_BYTES);
    if (text === undefined) continue;
    try {
      const read = readLockEntries(text);
      hidden.set(imagePathDir(imagePathDir(p)), read.entries);
      c.problems(p, read.problems);
    } catch (err) {
      if (!(err instanceof LangParseError)) throw err;
      c.gap(p, err.message);
    }
  }

  // name@version of what is installed, by the folder holding the node_modules.
  const installed = new Map<string, Set<string>>();
  const tooDeep = new Map<string, number>();
  const realSeen = new Set<string>();
  for (const p of byKind.get('installed') ?? []) {
    if (nodeModulesDepth(p) > MAX_NODE_MODULES_DEPTH) {
      const prefix = depthCapPrefix(p);
      tooDeep.set(prefix, (tooDeep.get(prefix) ?? 0) + 1);
      continue;
    }
    // pnpm and workspaces reach one folder through symlinks; report it once, at its real path.
    const real = ctx.tree.resolve(p)?.path ?? p;
    if ((real !== p && wanted.has(real)) || realSeen.has(real)) continue;
    realSeen.add(real);
    const text = c.readText(p, MAX_MANIFEST_BYTES);
    if (text === undefined) continue;
    const { dir, installPath } = projectDirOf(p);
    const found = installedPackage(text);
    if (typeof found === 'string') {
      c.gap(p, found);
      continue;
    }
    const full = found.namespace === undefined ? found.name : `${found.namespace}/${found.name}`;
    // A hidden-lockfile entry for another version is stale: its flags describe something else.
    const lock = hidden.get(dir)?.get(installPath);
    const fresh =
      lock?.version !== found.version
        ? found
        : {
            ...found,
            metadata: {
              ...compactMetadata({
                dev: lock.dev === true ? 'true' : undefined,
                optional: lock.optional === true ? 'true' : undefined,
                resolved: lock.resolved,
                integrity: lock.integrity,
              }),
              ...found.metadata,
            },
          };
    if (c.add('npm', p, fresh) === undefined) continue;
    installed.set(dir, (installed.get(dir) ?? new Set()).add(`${full}@${found.version}`));
  }
  for (const [prefix, count] of tooDeep) {
    c.gap(
      prefix,
      `${count} package.json file${count === 1 ? '' : 's'} nested more than ${MAX_NODE_MODULES_DEPTH} node_modules deep not read`,
    );
  }

  const declare = (p: string, parse: (text: string) => ParsedFile): void => {
    const text = c.readText(p, MAX_LOCKFILE_BYTES);
    if (text === undefined) return;
    let parsed: ParsedFile;
    try {
      parsed = parse(text);
    } catch (err) {
      if (!(err instanceof LangParseError)) throw err;
      c.gap(p, err.message);
      return;
    }
    c.problems(p, parsed.problems);
    const here = installed.get(imagePathDir(p));
    for (const f of parsed.packages) {
      const full = f.namespace === undefined ? f.name : `${f.namespace}/${f.name}`;
      if (here?.has(`${full}@${f.version}`) === true) continue;
      c.add('npm', p, f, true);
    }
  };
  for (const p of byKind.get('package-lock') ?? []) declare(p, parsePackageLock);
  for (const p of byKind.get('yarn-lock') ?? []) {
    const manifestPath = imagePathDir(p) === '' ? 'package.json' : `${imagePathDir(p)}/package.json`;
    let project: PackageJson | undefined;
    if (wanted.has(manifestPath)) {
      const text = c.readText(manifestPath, MAX_MANIFEST_BYTES);
      const manifest = text === undefined ? undefined : readPackageJson(text);
      if (typeof manifest === 'string')
        c.warnings.push(`${manifestPath}: ${manifest}; dev dependencies of ${p} not told apart`);
      else project = manifest;
    }
    declare(p, (text) => parseYarnLock(text, project));
  }
  return c.result();
}

/**
 * Node.js packages: installed ones from node_modules package.json files (enriched by the hidden
 * lockfile), and those package-lock.json, npm-shrinkwrap.json and yarn.lock files outside
 * node_modules pin but that are not installed beside them (`declaredOnly`).
 */
export const npmAnalyzer: Analyzer = {
  id: 'npm',
  wants: (path) => classifyNpmPath(path) !== undefined,
  analyze: analyzeNpm,
};
