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
import { runReducer, type Summarize } from './summarize.js';
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

  /** Returns where to deliver the entry's content when it is to be kept. */
  apply(header: TarHeader, ordinal: number): ((content: Buffer) => void) | undefined {
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
        const reducer = this.summarizer(path, entry);
        if (reducer === undefined) {
          return keep
            ? (content) => {
                data.content = content;
              }
            : undefined;
        }
        return (content) => {
          if (keep) data.content = content;
          data.summary = runReducer(reducer, content, path, `layer ${this.info.index}`, this.warnings);
        };
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

/**
 * Reads every layer once to build the merged tree, then, if wanted content is still missing
 * (symlink or hard-link targets that were not themselves wanted), reads only the layers that
 * hold it a second time.
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

  const targets = new Set<string>();
  for (const [position, layer] of image.layers.entries()) {
    const applier = new LayerApplier(tree, layerInfo(layer, position), ctx, warnings, targets);
    const started = performance.now();
    const result = await scanLayer(layer, {
      signal,
      maxBytes: limits.maxDecompressedBytes - totalBytes,
      tooManyBytes: () =>
        limitExceeded(
          'maxDecompressedBytes',
          limits.maxDecompressedBytes,
          `${layerLabel(layer)} decompresses to more bytes than allowed for the whole image (a decompression bomb?)`,
        ),
      onEntry: (header, ordinal) => {
        if (++totalEntries > limits.maxEntries) {
          throw limitExceeded(
            'maxEntries',
            limits.maxEntries,
            `${layerLabel(layer)} brings the image to more tar entries than allowed`,
          );
        }
        return applier.apply(header, ordinal);
      },
    });
    totalBytes += result.bytes;
    layerBytes[position] = result.bytes;
    logger.debug('read layer', {
      index: layer.index,
      digest: layer.descriptor.digest,
      bytes: result.bytes,
      entries: result.entries,
      ms: Math.round(performance.now() - started),
    });
  }

  if (ctx.want !== undefined) {
    const missing = findMissingContent(
      tree.root,
      ctx.want,
      limits.maxFileBytes,
      limits.maxSymlinkHops,
      warnings,
    );
    await fetchMissing(image, missing, layerBytes, ctx, warnings);
  }
  return new MergedFileTree(tree.root, limits.maxSymlinkHops, warnings.toArray());
}

/** Second pass: re-reads only the layers that hold missing content, verifying them again. */
async function fetchMissing(
  image: LayeredImage,
  missing: readonly ContentRef[],
  layerBytes: readonly number[],
  ctx: ReadContext,
  warnings: Warnings,
): Promise<void> {
  const byLayer = new Map<number, Map<number, ContentRef>>();
  for (const ref of missing) {
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
          ref.content = content;
        };
      },
    });
    for (const ref of wanted.values()) {
      if (ref.content === undefined)
        warnings.add(`layer ${layer.index}: could not re-read "${ref.sourcePath}"`);
    }
  }
}
