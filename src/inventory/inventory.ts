// The inventory runner: reads an image once for all analyzers (the union of what they and the
// OS detector want, plus their summarize reducers), identifies the OS, runs each analyzer on
// the merged tree, and merges the results: an analyzer that fails becomes a gap, language
// packages that an OS package owns are dropped, and the order is deterministic.
import { errorMessage, silentLogger, type Limits, type Logger } from '../core/index.js';
import {
  readImageFiles,
  type FileEntry,
  type FileTree,
  type Image,
  type LayerCache,
  type ReadFilesOptions,
} from '../oci/index.js';
import { defaultAnalyzers } from './analyzers.js';
import { failureOf, Summaries, summariesCodec, type SummarizeFailed } from './cache/summaries.js';
import { imageInventoryFile, loadImageInventory, storeImageInventory } from './cache/image-inventory.js';
import { InventoryError } from './errors.js';
import { detectOs, osWants } from './os/detect.js';
import { isOsPackageType } from './purl.js';
import type {
  Analyzer,
  AnalyzerContext,
  AnalyzerResult,
  Inventory,
  InventoryGap,
  OsInfo,
  Package,
  PackageLocation,
} from './types.js';

/** Options of `buildInventory`. */
export type BuildInventoryOptions = {
  /** Analyzers to run; `defaultAnalyzers` when absent. */
  readonly analyzers?: readonly Analyzer[];
  readonly limits?: Partial<Limits>;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
  /**
   * Merge layers found in this cache instead of reading them, and store the layers that were
   * read (see `LayerCache`). Entries are keyed by the analyzers' ids and `cacheKey`.
   */
  readonly layerCache?: LayerCache;
  /**
   * What else decides the analyzers' results besides their ids: the tool's version, custom
   * analyzers' versions or limits. Layers cached under another key are read again.
   */
  readonly cacheKey?: string;
};

/** Bumped when the inventory's wants or summaries change shape, so old cache entries miss. */
const INVENTORY_CACHE_FORMAT = 1;

type Summarize = NonNullable<ReadFilesOptions['summarize']>;

/**
 * One summarize hook for the layer reader made of every analyzer's: it asks each analyzer and
 * runs all reducers that answered on the same content. A reducer that throws loses only its
 * own result, reported through `failed`.
 */
export function combineSummarize(
  analyzers: readonly Analyzer[],
  failed: SummarizeFailed,
): Summarize | undefined {
  const summarizing = analyzers.filter((a) => a.summarize !== undefined);
  if (summarizing.length === 0) return undefined;
  return (path, meta) => {
    const reducers: [string, (content: Buffer) => unknown][] = [];
    for (const a of summarizing) {
      const reducer = a.summarize?.(path, meta);
      if (reducer !== undefined) reducers.push([a.id, reducer]);
    }
    if (reducers.length === 0) return undefined;
    return (content) => {
      const out = new Summaries();
      for (const [id, reducer] of reducers) {
        try {
          out.set(id, reducer(content));
        } catch (err) {
          out.failures.push(failureOf(id, err));
          failed(id, path, err);
        }
      }
      return out;
    };
  };
}

function locationOf(tree: FileTree, path: string): PackageLocation {
  const e = tree.get(path) ?? tree.resolve(path);
  return { path, layerIndex: e?.layerIndex ?? -1, diffID: e?.diffID, createdBy: e?.createdBy };
}

function contextFor(
  analyzer: Analyzer,
  tree: FileTree,
  os: OsInfo | undefined,
  entries: readonly FileEntry[],
) {
  const wants = (path: string): boolean => analyzer.wants?.(path) === true;
  const summarizes = (e: FileEntry): boolean =>
    (e.type === 'file' || e.type === 'hardlink') &&
    analyzer.summarize?.(e.path, { mode: e.mode, size: e.size }) !== undefined;
  const paths = entries
    .filter((e) => e.type !== 'dir' && (wants(e.path) || summarizes(e)))
    .map((e) => e.path);
  const ctx: AnalyzerContext = {
    tree,
    os,
    paths,
    // Only what this analyzer asked for, so no analyzer silently depends on another's wants.
    read: (path) => (wants(path) ? tree.readFile(path) : undefined),
    summary: (path) => {
      const s = tree.summary(path);
      return s instanceof Summaries ? s.get(analyzer.id) : undefined;
    },
    location: (path) => locationOf(tree, path),
  };
  return ctx;
}

/** Paths OS packages own, also under the name they resolve to (`bin/x` when `bin -> usr/bin`). */
function ownedByOsPackages(tree: FileTree, packages: readonly Package[]): Set<string> {
  const owned = new Set<string>();
  for (const p of packages) {
    if (!isOsPackageType(p.type)) continue;
    for (const f of p.files ?? []) {
      owned.add(f);
      const real = tree.resolve(f)?.path;
      if (real !== undefined) owned.add(real);
    }
  }
  return owned;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order on packages: type, namespace, name, version, arch, location, purl (code-unit order, locale-free). */
export function comparePackages(a: Package, b: Package): number {
  return (
    compareStrings(a.type, b.type) ||
    compareStrings(a.namespace ?? '', b.namespace ?? '') ||
    compareStrings(a.name, b.name) ||
    compareStrings(a.version, b.version) ||
    compareStrings(a.arch ?? '', b.arch ?? '') ||
    compareStrings(a.location.path, b.location.path) ||
    compareStrings(a.purl, b.purl)
  );
}

/**
 * Lists the packages of an image: reads its files once (content only of what the OS detector
 * and the analyzers want; summaries of what they summarize), detects the OS, runs every
 * analyzer, and merges their packages, gaps and warnings. An analyzer that throws becomes a
 * gap with its message (path "" when no single file is to blame); language packages found at a
 * path an OS package owns are dropped as duplicates; packages are sorted by `comparePackages`.
 *
 * @throws InventoryError ANALYZER_DUPLICATE when two analyzers share an id; the layer reader's
 *   errors (OciError LAYER_INVALID, DIFFID_MISMATCH, LIMIT_EXCEEDED, …) when the image cannot
 *   be read; the signal's reason when aborted.
 */
export async function buildInventory(image: Image, options: BuildInventoryOptions = {}): Promise<Inventory> {
  const analyzers = options.analyzers ?? defaultAnalyzers;
  const logger = options.logger ?? silentLogger;
  const signal = options.signal;
  const ids = new Set<string>();
  for (const a of analyzers) {
    if (ids.has(a.id)) throw new InventoryError('ANALYZER_DUPLICATE', `two analyzers have the id "${a.id}"`);
    ids.add(a.id);
  }

  const warnings: string[] = [];
  const failed: SummarizeFailed = (id, path, err) => {
    warnings.push(`${id}: could not summarize ${path}: ${errorMessage(err)}`);
  };
  const summarize = combineSummarize(analyzers, failed);
  const layerCache = options.layerCache;
  const cacheKey = `inventory/${INVENTORY_CACHE_FORMAT}\0${[...ids].sort().join(',')}\0${options.cacheKey ?? ''}`;
  const inventoryFile =
    layerCache === undefined || image.kind !== 'layered'
      ? undefined
      : imageInventoryFile(
          layerCache.dir,
          image.layers.map((l) => l.diffID),
          cacheKey,
        );
  if (inventoryFile !== undefined) {
    const cached = await loadImageInventory(inventoryFile);
    if (cached !== undefined) {
      logger.debug('inventory from cache', { file: inventoryFile });
      return cached;
    }
  }
  const tree = await readImageFiles(image, {
    want: (path) => osWants(path) || analyzers.some((a) => a.wants?.(path) === true),
    ...(summarize === undefined ? {} : { summarize }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    logger,
    ...(signal === undefined ? {} : { signal }),
    ...(layerCache === undefined
      ? {}
      : {
          layerCache: {
            cache: layerCache,
            key: cacheKey,
            codec: summariesCodec(failed),
          },
        }),
  });
  const os = detectOs(tree);
  const entries = tree.entries();

  const packages: Package[] = [];
  const gaps: InventoryGap[] = [];
  for (const analyzer of analyzers) {
    signal?.throwIfAborted();
    let result: AnalyzerResult;
    try {
      result = await analyzer.analyze(contextFor(analyzer, tree, os, entries));
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      logger.warn('analyzer failed', { analyzer: analyzer.id, error: errorMessage(err) });
      gaps.push({ analyzer: analyzer.id, path: '', reason: `analyzer failed: ${errorMessage(err)}` });
      continue;
    }
    logger.debug('analyzer done', { analyzer: analyzer.id, packages: result.packages.length });
    packages.push(...result.packages);
    gaps.push(...(result.gaps ?? []));
    for (const w of result.warnings ?? []) warnings.push(`${analyzer.id}: ${w}`);
  }

  const owned = ownedByOsPackages(tree, packages);
  const kept = packages.filter((p) => isOsPackageType(p.type) || !owned.has(p.location.path));
  const inventory: Inventory = {
    os,
    packages: kept.sort(comparePackages),
    gaps,
    warnings: [...tree.warnings, ...warnings],
  };
  if (inventoryFile !== undefined && layerCache !== undefined) {
    await storeImageInventory(inventoryFile, inventory);
    await layerCache.prune();
  }
  return inventory;
}
