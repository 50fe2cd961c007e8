import {
  errorMessage,
  imagePathDir,
  normalizeImagePath,
  truncateForMessage,
  type Limits,
  type Logger,
} from '../../core/index.js';
import { OciError } from '../errors.js';
import type { Layer, LayeredImage } from '../image.js';
import { findMissingContent } from './plan.js';
import { fileTooLarge, layerLabel, limitExceeded, Warnings } from './problems.js';
import { reduceContent, type Reduced, type Summarize } from './summarize.js';
import {
  jsonSummaryCodec,
  type CachedData,
  type CachedLayer,
  type LayerCacheUse,
  type SummaryCodec,
} from './cache.js';
import { scanLayer, type TarHeader } from './scan.js';
import {
  guessRealPath,
  lookup,
  MergedFileTree,
  TreeBuilder,
  type ContentRef,
  type LayerInfo,
} from './tree.js';
import type { FileEntry, FileTree, FileType } from './types.js';

export type ReadContext = {
  readonly want: ((path: string) => boolean) | undefined;
  readonly summarize: Summarize | undefined;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly signal: AbortSignal | undefined;
  readonly layerCache: LayerCacheUse | undefined;
};

/** A regular file as the applier left it: where its bytes go and what to do with them. */
type Pending = {
  readonly data: ContentRef;
  readonly keep: boolean;
  readonly reducer: ((content: Buffer) => unknown) | undefined;
  readonly path: string;
};

// Linux refuses longer paths and link targets (PATH_MAX), so no real image has them; refusing
// them also bounds the work of resolving hostile symlinks.
const PATH_MAX = 4096;

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Applies one layer's tar entries to the tree, in tar order. */
class LayerApplier {
  private readonly tree: TreeBuilder;
  private readonly info: LayerInfo;
  private readonly ctx: ReadContext;
  private readonly warnings: Warnings;
  private readonly targets: Set<string>;

  /** `targets` collects, across layers, where wanted symlinks probably point. */
  constructor(
    tree: TreeBuilder,
    info: LayerInfo,
    ctx: ReadContext,
    warnings: Warnings,
    targets: Set<string>,
  ) {
    this.tree = tree;
    this.info = info;
    this.ctx = ctx;
    this.warnings = warnings;
    this.targets = targets;
  }

  /**
   * Guesses where a wanted symlink points from what is known so far, so that the file can be
   * kept if it comes later in the stream (`etc/os-release -> ../lib/os-release` with
   * `lib -> usr/lib` gives usr/lib/os-release). A wrong guess only costs the second pass that
   * would have happened anyway.
   */
  private expectTarget(path: string, target: string): void {
    const raw = target.startsWith('/') ? target : `${imagePathDir(path)}/${target}`;
    const guess = guessRealPath(this.tree.root, raw, this.ctx.limits.maxSymlinkHops);
    if (guess !== undefined) this.targets.add(guess);
  }

  /** The layer's index in the image (for messages). */
  get index(): number {
    return this.info.index;
  }

  private skip(name: string, why: string): void {
    this.warnings.add(`layer ${this.info.index}: skipped "${truncateForMessage(name)}": ${why}`);
  }

  private entry(
    path: string,
    type: FileType,
    header: TarHeader,
    size: number,
    linkTarget?: string,
  ): FileEntry {
    const mtime = header.mtime;
    return {
      path,
      type,
      mode: (header.mode ?? 0) & 0o7777,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      size,
      mtime: mtime === undefined || Number.isNaN(mtime.getTime()) ? undefined : mtime,
      ...(linkTarget === undefined ? {} : { linkTarget }),
      layerIndex: this.info.index,
      diffID: this.info.diffID,
      createdBy: this.info.createdBy,
    };
  }

  /**
   * Returns, for a regular file, its content reference with whether to keep the bytes and the
   * reducer to run on them (either may be off: the caller then need not read the bytes).
   */
  apply(header: TarHeader, ordinal: number): Pending | undefined {
    const name = header.name;
    let path: string;
    try {
      path = normalizeImagePath(name, { strict: true });
    } catch (err) {
      this.skip(name, errorMessage(err));
      return undefined;
    }
    if (path.length > PATH_MAX) {
      this.skip(name, `path longer than ${PATH_MAX} characters`);
      return undefined;
    }
    const slash = path.lastIndexOf('/');
    if (path.includes(WHITEOUT)) {
      const dir = slash < 0 ? '' : path.slice(0, slash);
      const marked = `/${dir}`.indexOf(`/${WHITEOUT}`);
      if (marked >= 0) {
        // Below a `.wh.` directory: AUFS bookkeeping (.wh..wh.plnk) or nonsense, never content.
        if (!`/${dir}`.startsWith(`/${WHITEOUT}${WHITEOUT}`, marked))
          this.skip(name, 'inside a whiteout directory');
        return undefined;
      }
      const base = path.slice(slash + 1);
      if (base.startsWith(WHITEOUT)) {
        this.whiteout(name, dir, base);
        return undefined;
      }
    }
    const want = this.ctx.want;
    switch (header.type) {
      case 'directory':
        this.tree.put(this.entry(path, 'dir', header, 0), undefined, this.info);
        return undefined;
      case 'file':
      case 'contiguous-file': {
        const size = header.size ?? 0;
        const data: ContentRef = {
          content: undefined,
          summary: undefined,
          size,
          layer: this.info.position,
          ordinal,
          sourcePath: path,
        };
        const entry = this.entry(path, 'file', header, size);
        const node = this.tree.put(entry, data, this.info);
        const { maxFileBytes } = this.ctx.limits;
        const wanted = want !== undefined && want(path);
        if (wanted) {
          node.wanted = true;
          if (size > maxFileBytes) throw fileTooLarge(path, size, maxFileBytes);
        }
        // Probably the target of a wanted symlink: keeping it now saves a second pass.
        const keep = wanted || (this.targets.has(path) && size <= maxFileBytes);
        return { data, keep, reducer: this.summarizer(path, entry), path };
      }
      case 'symlink': {
        const target = header.linkname ?? '';
        if (target.length > PATH_MAX) {
          this.skip(name, `symlink target longer than ${PATH_MAX} characters`);
          return undefined;
        }
        const node = this.tree.put(this.entry(path, 'symlink', header, 0, target), undefined, this.info);
        if (want?.(path) === true) node.wanted = true;
        if (node.wanted || this.targets.has(path)) this.expectTarget(path, target);
        return undefined;
      }
      case 'link':
        this.hardLink(name, path, header);
        return undefined;
      case 'character-device':
        this.tree.put(this.entry(path, 'char', header, 0), undefined, this.info);
        return undefined;
      case 'block-device':
        this.tree.put(this.entry(path, 'block', header, 0), undefined, this.info);
        return undefined;
      case 'fifo':
        this.tree.put(this.entry(path, 'fifo', header, 0), undefined, this.info);
        return undefined;
      case undefined:
      default:
        this.skip(name, `unsupported tar entry type ${header.type ?? 'unknown'}`);
        return undefined;
    }
  }

  /** The caller's reducer for a regular file, unless the file is too large to buffer. */
  private summarizer(path: string, entry: FileEntry): ((content: Buffer) => unknown) | undefined {
    const reducer = this.ctx.summarize?.(path, { mode: entry.mode, size: entry.size });
    if (reducer === undefined) return undefined;
    const { maxFileBytes } = this.ctx.limits;
    if (entry.size > maxFileBytes) {
      this.warnings.add(
        `layer ${this.info.index}: not summarized "${truncateForMessage(path)}": ${entry.size} bytes, over the maxFileBytes limit of ${maxFileBytes}`,
      );
      return undefined;
    }
    return reducer;
  }

  private whiteout(name: string, dir: string, base: string): void {
    if (base === OPAQUE) {
      this.tree.opaque(dir, this.info);
      return;
    }
    // Other `.wh..wh.` names are AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs), not whiteouts.
    if (base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return;
    const victim = base.slice(WHITEOUT.length);
    if (victim === '' || victim === '.' || victim === '..') {
      this.skip(name, 'whiteout names no file');
      return;
    }
    this.tree.whiteout(dir, victim, this.info);
  }

  /**
   * A hard link becomes a 'hardlink' entry carrying its target's metadata and sharing its
   * content. Links to symlinks or devices copy the target (that is what the link shows).
   */
  private hardLink(name: string, path: string, header: TarHeader): void {
    const raw = header.linkname ?? '';
    let targetPath: string;
    try {
      targetPath = normalizeImagePath(raw, { strict: true });
    } catch (err) {
      this.skip(name, `hard link target: ${errorMessage(err)}`);
      return;
    }
    const target = lookup(this.tree.root, targetPath);
    if (target === undefined || targetPath === '') {
      this.skip(name, `hard link target "${truncateForMessage(raw)}" does not exist`);
      return;
    }
    const t = target.entry;
    if (t.type === 'dir') {
      this.skip(name, `hard link target "${truncateForMessage(raw)}" is a directory`);
      return;
    }
    const regular = t.type === 'file' || t.type === 'hardlink';
    const entry: FileEntry = {
      path,
      type: regular ? 'hardlink' : t.type,
      mode: t.mode,
      uid: t.uid,
      gid: t.gid,
      size: t.size,
      mtime: t.mtime,
      ...(regular ? { linkTarget: raw } : t.linkTarget === undefined ? {} : { linkTarget: t.linkTarget }),
      layerIndex: this.info.index,
      diffID: this.info.diffID,
      createdBy: this.info.createdBy,
    };
    const node = this.tree.put(entry, target.data, this.info);
    if (this.ctx.want?.(path) === true) node.wanted = true;
  }
}

function layerInfo(layer: Layer, position: number): LayerInfo {
  return {
    position,
    index: layer.index,
    diffID: layer.diffID,
    createdBy: layer.history?.created_by,
  };
}

/** What reading one layer produced, collected for the layer cache. */
class LayerRecord {
  readonly headers: TarHeader[];
  readonly data: Map<number, CachedData>;
  bytes: number;
  /** False once a summary turned out not to be encodable: the layer is then not stored. */
  cacheable = true;
  private readonly codec: SummaryCodec;

  constructor(codec: SummaryCodec, from?: CachedLayer) {
    this.codec = codec;
    this.headers = from === undefined ? [] : [...from.headers];
    this.data = new Map(from?.data);
    this.bytes = from?.bytes ?? 0;
  }

  add(ordinal: number, content: Buffer | undefined, reduced: Reduced | undefined): void {
    let summary: unknown;
    if (reduced?.summary !== undefined && this.cacheable) {
      try {
        summary = this.codec.encode(reduced.summary);
      } catch {
        this.cacheable = false;
      }
    }
    this.data.set(ordinal, {
      content,
      summarized: reduced !== undefined,
      summary,
      warning: reduced?.warning,
    });
  }

  /** Content fetched by the second pass for an entry. */
  addContent(ordinal: number, content: Buffer): void {
    const old = this.data.get(ordinal);
    this.data.set(ordinal, {
      content,
      summarized: old?.summarized ?? false,
      summary: old?.summary,
      warning: old?.warning,
    });
  }

  /** A summary computed by the second pass for an entry the cache had no summary of. */
  addSummary(ordinal: number, reduced: Reduced): void {
    this.add(ordinal, this.data.get(ordinal)?.content, reduced);
  }

  toCached(): CachedLayer {
    return { bytes: this.bytes, headers: this.headers, data: this.data };
  }
}

/** A file of a cached layer whose summary the cache lacks: the second pass computes it. */
type Unsummarized = {
  readonly reducer: (content: Buffer) => unknown;
  readonly path: string;
  readonly where: string;
};

/**
 * Merges a cached layer into the tree through the same applier a read uses. Files the cache
 * lacks something of (the key should make that impossible; this guards against a key that
 * does not capture everything) are left to the second pass: wanted content is found missing
 * there anyway, and summaries are collected in `unsummarized`.
 */
function replayLayer(
  applier: LayerApplier,
  cached: CachedLayer,
  codec: SummaryCodec,
  warnings: Warnings,
  countEntry: () => void,
  unsummarized: Map<ContentRef, Unsummarized>,
): void {
  const where = `layer ${applier.index}`;
  for (const [ordinal, header] of cached.headers.entries()) {
    countEntry();
    const pending = applier.apply(header, ordinal);
    if (pending === undefined) continue;
    const d = cached.data.get(ordinal);
    if (d?.content !== undefined) pending.data.content = d.content;
    if (pending.reducer === undefined) continue;
    if (d?.summarized === true) {
      pending.data.summary = d.summary === undefined ? undefined : codec.decode(d.summary, pending.path);
      if (d.warning !== undefined) warnings.add(d.warning);
    } else {
      unsummarized.set(pending.data, { reducer: pending.reducer, path: pending.path, where });
    }
  }
}

/**
 * Reads every layer once to build the merged tree, then, if wanted content is still missing
 * (symlink or hard-link targets that were not themselves wanted), reads only the layers that
 * hold it a second time. With a layer cache, layers found there are merged from it instead of
 * being read, and layers that were read are stored there afterwards.
 */
export async function readLayeredFiles(image: LayeredImage, ctx: ReadContext): Promise<FileTree> {
  const { limits, logger, signal } = ctx;
  const warnings = new Warnings(logger);
  const tree = new TreeBuilder((message) => {
    warnings.add(message);
  });
  const layerBytes: number[] = [];
  let totalBytes = 0;
  let totalEntries = 0;
  const use = ctx.layerCache;
  const codec = use?.codec ?? jsonSummaryCodec;
  // Started together: loading never throws, and the files are small next to the layers.
  const loads = image.layers.map((layer) => use?.cache.load(layer.diffID, use.key));
  const cachedLayers = new Map<number, CachedLayer>();
  const records = new Map<number, LayerRecord>();
  const unsummarized = new Map<ContentRef, Unsummarized>();

  const targets = new Set<string>();
  for (const [position, layer] of image.layers.entries()) {
    signal?.throwIfAborted();
    const applier = new LayerApplier(tree, layerInfo(layer, position), ctx, warnings, targets);
    const started = performance.now();
    const countEntry = (): void => {
      if (++totalEntries > limits.maxEntries) {
        throw limitExceeded(
          'maxEntries',
          limits.maxEntries,
          `${layerLabel(layer)} brings the image to more tar entries than allowed`,
        );
      }
    };
    const tooManyBytes = (): OciError =>
      limitExceeded(
        'maxDecompressedBytes',
        limits.maxDecompressedBytes,
        `${layerLabel(layer)} decompresses to more bytes than allowed for the whole image (a decompression bomb?)`,
      );

    const cached = await loads[position];
    if (cached !== undefined) {
      if (cached.bytes > limits.maxDecompressedBytes - totalBytes) throw tooManyBytes();
      replayLayer(applier, cached, codec, warnings, countEntry, unsummarized);
      cachedLayers.set(position, cached);
      totalBytes += cached.bytes;
      layerBytes[position] = cached.bytes;
      logger.debug('layer from cache', {
        index: layer.index,
        digest: layer.descriptor.digest,
        entries: cached.headers.length,
        ms: Math.round(performance.now() - started),
      });
      continue;
    }

    const record = use === undefined ? undefined : new LayerRecord(codec);
    const where = `layer ${layer.index}`;
    const result = await scanLayer(layer, {
      signal,
      maxBytes: limits.maxDecompressedBytes - totalBytes,
      tooManyBytes,
      onEntry: (header, ordinal) => {
        countEntry();
        record?.headers.push(header);
        const pending = applier.apply(header, ordinal);
        if (pending === undefined) return undefined;
        const { data, keep, reducer, path } = pending;
        if (!keep && reducer === undefined) return undefined;
        return (content) => {
          if (keep) data.content = content;
          let reduced: Reduced | undefined;
          if (reducer !== undefined) {
            reduced = reduceContent(reducer, content, path, where);
            data.summary = reduced.summary;
            if (reduced.warning !== undefined) warnings.add(reduced.warning);
          }
          record?.add(ordinal, keep ? content : undefined, reduced);
        };
      },
    });
    totalBytes += result.bytes;
    layerBytes[position] = result.bytes;
    if (record !== undefined) {
      record.bytes = result.bytes;
      records.set(position, record);
    }
    logger.debug('read layer', {
      index: layer.index,
      digest: layer.descriptor.digest,
      bytes: result.bytes,
      entries: result.entries,
      ms: Math.round(performance.now() - started),
    });
  }

  if (ctx.want !== undefined || unsummarized.size > 0) {
    const missing =
      ctx.want === undefined
        ? []
        : findMissingContent(tree.root, ctx.want, limits.maxFileBytes, limits.maxSymlinkHops, warnings);
    const reduced = await fetchMissing(image, missing, unsummarized, layerBytes, ctx, warnings);
    if (use !== undefined) {
      const recordOf = (position: number): LayerRecord | undefined => {
        let record = records.get(position);
        const cached = cachedLayers.get(position);
        if (record === undefined && cached !== undefined) {
          record = new LayerRecord(codec, cached);
          records.set(position, record);
        }
        return record;
      };
      for (const ref of missing) {
        if (ref.content !== undefined) recordOf(ref.layer)?.addContent(ref.ordinal, ref.content);
      }
      for (const [ref, result] of reduced) recordOf(ref.layer)?.addSummary(ref.ordinal, result);
    }
  }
  if (use !== undefined) await storeLayers(image, use, records, ctx);
  return new MergedFileTree(tree.root, limits.maxSymlinkHops, warnings.toArray());
}

/** Stores what was read; a cache that cannot be written costs a warning in the log only. */
async function storeLayers(
  image: LayeredImage,
  use: LayerCacheUse,
  records: ReadonlyMap<number, LayerRecord>,
  ctx: ReadContext,
): Promise<void> {
  for (const [position, record] of records) {
    const layer = image.layers[position];
    if (layer === undefined) continue;
    if (!record.cacheable) {
      ctx.logger.debug('layer not cached: a summary cannot be encoded', { index: layer.index });
      continue;
    }
    ctx.signal?.throwIfAborted();
    try {
      await use.cache.store(layer.diffID, use.key, record.toCached());
    } catch (err) {
      ctx.logger.warn('cannot write the layer cache', { index: layer.index, error: errorMessage(err) });
    }
  }
}

/**
 * Second pass: re-reads only the layers that hold missing content (or, for layers merged from
 * the cache, files whose summary it lacks), verifying them again. Returns the summaries made.
 */
async function fetchMissing(
  image: LayeredImage,
  missing: readonly ContentRef[],
  unsummarized: ReadonlyMap<ContentRef, Unsummarized>,
  layerBytes: readonly number[],
  ctx: ReadContext,
  warnings: Warnings,
): Promise<[ContentRef, Reduced][]> {
  const reduced: [ContentRef, Reduced][] = [];
  const needContent = new Set(missing);
  const byLayer = new Map<number, Map<number, ContentRef>>();
  for (const ref of [...missing, ...unsummarized.keys()]) {
    let wanted = byLayer.get(ref.layer);
    if (wanted === undefined) {
      wanted = new Map<number, ContentRef>();
      byLayer.set(ref.layer, wanted);
    }
    wanted.set(ref.ordinal, ref);
  }
  for (const position of [...byLayer.keys()].sort((a, b) => a - b)) {
    const layer = image.layers[position];
    const wanted = byLayer.get(position);
    if (layer === undefined || wanted === undefined) continue;
    ctx.logger.debug('second pass over layer', { index: layer.index, files: wanted.size });
    await scanLayer(layer, {
      signal: ctx.signal,
      // Same bytes as the first pass or the diffID check fails; more means it changed.
      maxBytes: layerBytes[position] ?? 0,
      tooManyBytes: () =>
        new OciError(
          'DIFFID_MISMATCH',
          `${layerLabel(layer)} produced more data on a second read than on the first, so it no longer matches its diffID`,
        ),
      onEntry: (_header, ordinal) => {
        const ref = wanted.get(ordinal);
        if (ref === undefined) return undefined;
        return (content) => {
          if (needContent.has(ref)) ref.content = content;
          const u = unsummarized.get(ref);
          if (u === undefined) return;
          const result = reduceContent(u.reducer, content, u.path, u.where);
          ref.summary = result.summary;
          if (result.warning !== undefined) warnings.add(result.warning);
          reduced.push([ref, result]);
        };
      },
    });
    for (const ref of wanted.values()) {
      if (needContent.has(ref) && ref.content === undefined)
        warnings.add(`layer ${layer.index}: could not re-read "${ref.sourcePath}"`);
    }
  }
  return reduced;
}
