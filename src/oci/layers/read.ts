import { resolveLimits, silentLogger } from '../../core/index.js';
import type { Image } from '../image.js';
import { readLayeredFiles, type ReadContext } from './layered.js';
import { readRootfsFiles } from './rootfs.js';
import type { FileTree, ReadFilesOptions } from './types.js';

/**
 * Reads an image's merged filesystem: every layer in order (decompressed, verified against its
 * diffID, whiteouts applied) or a `rootfs:` directory, keeping metadata of every path, the
 * content of the paths `options.want` asks for and the reducer results `options.summarize`
 * asks for. Nothing is written to disk.
 *
 * @throws OciError DIFFID_MISMATCH naming the layer and both digests, LAYER_INVALID for corrupt
 *   or truncated layers, LIMIT_EXCEEDED (maxFileBytes, maxDecompressedBytes, maxEntries) naming
 *   the limit and its option, SOURCE_INVALID for an unreadable rootfs; a layer source's own
 *   errors (e.g. CoreError DIGEST_MISMATCH); the signal's reason when aborted.
 */
export async function readImageFiles(image: Image, options: ReadFilesOptions = {}): Promise<FileTree> {
  options.signal?.throwIfAborted();
  const ctx: ReadContext = {
    want: options.want,
    summarize: options.summarize,
    limits: resolveLimits(options.limits),
    logger: options.logger ?? silentLogger,
    signal: options.signal,
    layerCache: options.layerCache,
  };
  return image.kind === 'rootfs' ? readRootfsFiles(image, ctx) : readLayeredFiles(image, ctx);
}
