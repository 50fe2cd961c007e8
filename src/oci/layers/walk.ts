import {
  errorMessage,
  normalizeImagePath,
  resolveLimits,
  silentLogger,
  truncateForMessage,
  type Digest,
  type Limits,
  type Logger,
} from '../../core/index.js';
import type { LayeredImage } from '../image.js';
import { layerLabel, limitExceeded, Warnings } from './problems.js';
import { scanLayer, type TarHeader } from './scan.js';
import type { FileType } from './types.js';

/**
 * One tar entry of one layer, before any merging: what the layer itself holds, including files
 * a later layer deletes. Whiteouts are entries too (`kind: 'whiteout'` names the deleted path,
 * `kind: 'opaque'` the directory whose lower contents are hidden).
 */
export type LayerEntry = {
  readonly kind: 'entry' | 'whiteout' | 'opaque';
  /** Normalized, relative to the image root, no leading "/"; for whiteouts the deleted path. */
  readonly path: string;
  /** File type of an `entry`; undefined for whiteouts. */
  readonly type: FileType | undefined;
  /** Permission bits including setuid/setgid/sticky (`& 0o7777`). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content of a regular file; 0 for everything else. */
  readonly size: number;
  readonly linkTarget?: string;
  /** The layer's position from the base (0) up. */
  readonly layerIndex: number;
  /** Digest of the layer as stored (the manifest's descriptor). */
  readonly layerDigest: Digest;
  readonly diffID: Digest;
  /** `created_by` of the history entry that made the layer. */
  readonly createdBy: string | undefined;
};

/**
 * Called for every entry of every layer, in layer then tar order. Return a sink to receive the
 * content of a regular file; it is called once the bytes are read, before the next entry, and
 * only for files of at most `maxContentBytes`.
 */
export type LayerEntryVisitor = (entry: LayerEntry) => ((content: Buffer) => void) | undefined;

export type WalkLayersOptions = {
  /** Largest file whose content is handed to a sink (default 1 MiB, never above limits.maxFileBytes). */
  readonly maxContentBytes?: number;
  readonly limits?: Partial<Limits>;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
};

export type WalkLayersResult = {
  /** Entries that were skipped (unsafe paths, unsupported types, content over the cap), one message each. */
  readonly warnings: readonly string[];
};

/** What a walk hands to sinks unless told otherwise: enough for keys and credential files. */
export const DEFAULT_WALK_CONTENT_BYTES = 1024 * 1024;

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
// Linux refuses longer paths (PATH_MAX): no real image has them (same bound as the merged reader).
const PATH_MAX = 4096;

function fileType(type: string | undefined): FileType | undefined {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    case 'character-device':
      return 'char';
    case 'block-device':
      return 'block';
    case 'fifo':
      return 'fifo';
    case undefined:
    default:
      return undefined;
  }
}

/**
 * Streams every layer of an image and shows the visitor each tar entry as that layer holds it,
 * so that files a later layer deletes or replaces are still seen (the merged view of
 * {@link readImageFiles} hides them). Layers are decompressed and verified against their
 * diffIDs exactly as the merged reader does; content is buffered only for the files a visitor
 * asks for, one at a time, up to `maxContentBytes`. Paths are normalized with the same safety
 * rules (no `..` escapes); unsafe entries are skipped with a warning.
 *
 * @throws OciError DIFFID_MISMATCH, LAYER_INVALID, LIMIT_EXCEEDED (maxDecompressedBytes,
 *   maxEntries); a layer source's own errors; whatever the visitor throws; the signal's reason.
 */
export async function walkImageLayers(
  image: LayeredImage,
  visit: LayerEntryVisitor,
  options: WalkLayersOptions = {},
): Promise<WalkLayersResult> {
  const limits = resolveLimits(options.limits);
  const warnings = new Warnings(options.logger ?? silentLogger);
  const maxContent = Math.min(options.maxContentBytes ?? DEFAULT_WALK_CONTENT_BYTES, limits.maxFileBytes);
  let totalBytes = 0;
  let totalEntries = 0;
  for (const layer of image.layers) {
    options.signal?.throwIfAborted();
    const base = {
      layerIndex: layer.index,
      layerDigest: layer.descriptor.digest,
      diffID: layer.diffID,
      createdBy: layer.history?.created_by,
    };
    const skip = (name: string, why: string): void => {
      warnings.add(`layer ${layer.index}: skipped "${truncateForMessage(name)}": ${why}`);
    };
    const toEntry = (header: TarHeader): LayerEntry | undefined => {
      let path: string;
      try {
        path = normalizeImagePath(header.name, { strict: true });
      } catch (err) {
        skip(header.name, errorMessage(err));
        return undefined;
      }
      if (path.length > PATH_MAX) {
        skip(header.name, `path longer than ${PATH_MAX} characters`);
        return undefined;
      }
      const slash = path.lastIndexOf('/');
      const dir = slash < 0 ? '' : path.slice(0, slash);
      const name = path.slice(slash + 1);
      const meta = { mode: (header.mode ?? 0) & 0o7777, uid: header.uid ?? 0, gid: header.gid ?? 0 };
      if (`/${dir}/`.includes(`/${WHITEOUT}`)) return undefined; // AUFS bookkeeping, never content
      if (name === OPAQUE) return { ...base, ...meta, kind: 'opaque', path: dir, type: undefined, size: 0 };
      if (name.startsWith(WHITEOUT)) {
        const victim = name.slice(WHITEOUT.length);
        // Other `.wh..wh.` names are AUFS bookkeeping (.wh..wh.plnk), not whiteouts.
        if (victim.startsWith(WHITEOUT) || victim === '') return undefined;
        const deleted = dir === '' ? victim : `${dir}/${victim}`;
        return { ...base, ...meta, kind: 'whiteout', path: deleted, type: undefined, size: 0 };
      }
      const type = fileType(header.type);
      if (type === undefined) {
        skip(header.name, `unsupported tar entry type ${header.type ?? 'unknown'}`);
        return undefined;
      }
      const link = header.linkname;
      return {
        ...base,
        ...meta,
        kind: 'entry',
        path,
        type,
        size: type === 'file' ? (header.size ?? 0) : 0,
        ...((type === 'symlink' || type === 'hardlink') && link !== undefined ? { linkTarget: link } : {}),
      };
    };

    const result = await scanLayer(layer, {
      signal: options.signal,
      maxBytes: limits.maxDecompressedBytes - totalBytes,
      tooManyBytes: () =>
        limitExceeded(
          'maxDecompressedBytes',
          limits.maxDecompressedBytes,
          `${layerLabel(layer)} decompresses to more bytes than allowed for the whole image (a decompression bomb?)`,
        ),
      onEntry: (header) => {
        if (++totalEntries > limits.maxEntries) {
          throw limitExceeded(
            'maxEntries',
            limits.maxEntries,
            `${layerLabel(layer)} brings the image to more tar entries than allowed`,
          );
        }
        const entry = toEntry(header);
        if (entry === undefined) return undefined;
        const sink = visit(entry);
        if (sink === undefined || entry.type !== 'file') return undefined;
        if (entry.size > maxContent) {
          warnings.add(
            `layer ${layer.index}: content of "${truncateForMessage(entry.path)}" not read: ${entry.size} bytes, over the ${maxContent}-byte cap`,
          );
          return undefined;
        }
        return sink;
      },
    });
    totalBytes += result.bytes;
  }
  return { warnings: warnings.toArray() };
}
