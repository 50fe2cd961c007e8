import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, isPortcullisError } from '../../core/index.js';
import { OciError } from '../errors.js';
import type { RootfsImage } from '../image.js';
import type { ReadContext } from './layered.js';
import { findMissingContent } from './plan.js';
import { fileTooLarge, limitExceeded, Warnings } from './problems.js';
import { runReducer } from './summarize.js';
import { MergedFileTree, ROOTFS_LAYER, TreeBuilder, type ContentRef } from './tree.js';
import type { FileEntry, FileType } from './types.js';

// lstat calls in flight at once: enough to keep the thread pool busy on a large directory.
const LSTAT_BATCH = 64;

function typeOf(st: Stats): FileType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined;
}

/**
 * Reads at most `maxFileBytes` of a regular file below `root`, refusing to follow a symlink in
 * the last component (O_NOFOLLOW) or to block on a FIFO swapped in after the walk (O_NONBLOCK).
 * Undefined (with a warning) when the file is gone or no longer regular.
 * @throws OciError LIMIT_EXCEEDED when the file is larger than maxFileBytes.
 */
async function readContained(
  root: string,
  rel: string,
  maxFileBytes: number,
  warnings: Warnings,
): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path.join(root, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    warnings.add(`rootfs: cannot read "${rel}": ${errorMessage(err)}`);
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      warnings.add(`rootfs: "${rel}" is no longer a regular file`);
      return undefined;
    }
    if (st.size > maxFileBytes) throw fileTooLarge(rel, st.size, maxFileBytes);
    const buf = Buffer.allocUnsafe(st.size);
    let offset = 0;
    while (offset < st.size) {
      const { bytesRead } = await fh.read(buf, offset, st.size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return offset === st.size ? buf : Buffer.from(buf.subarray(0, offset));
  } catch (err) {
    if (isPortcullisError(err)) throw err;
    warnings.add(`rootfs: cannot read "${rel}": ${errorMessage(err)}`);
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * Walks a root filesystem directory with lstat only (symlinks are recorded, never followed on
 * disk) into the same merged tree a layered image produces.
 * @throws OciError SOURCE_INVALID when the root is not a readable directory, LIMIT_EXCEEDED
 *   for maxEntries or maxFileBytes, and the signal's reason on abort.
 */
export async function readRootfsFiles(image: RootfsImage, ctx: ReadContext): Promise<MergedFileTree> {
  const { limits, signal, want, summarize } = ctx;
  const warnings = new Warnings(ctx.logger);
  const tree = new TreeBuilder((message) => {
    warnings.add(message);
  });
  const root = image.root;
  try {
    // The root itself is the caller's choice, so a symlink naming it is followed.
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new OciError('SOURCE_INVALID', `rootfs ${root} cannot be read: ${errorMessage(err)}`, {
      cause: err,
    });
  }

  let count = 0;
  const dirs: string[] = [''];
  for (let dir = dirs.pop(); dir !== undefined; dir = dirs.pop()) {
    signal?.throwIfAborted();
    const abs = dir === '' ? root : path.join(root, dir);
    let dirents: Dirent[];
    try {
      dirents = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      warnings.add(`rootfs: cannot list "${dir}": ${errorMessage(err)}`);
      continue;
    }
    for (let i = 0; i < dirents.length; i += LSTAT_BATCH) {
      const batch = dirents.slice(i, i + LSTAT_BATCH);
      const stats = await Promise.all(
        batch.map((d) =>
          lstat(path.join(abs, d.name)).then(
            (st) => st,
            (err: unknown) => errorMessage(err),
          ),
        ),
      );
      for (const [j, st] of stats.entries()) {
        const name = batch[j]?.name ?? '';
        const rel = dir === '' ? name : `${dir}/${name}`;
        if (++count > limits.maxEntries) {
          throw limitExceeded(
            'maxEntries',
            limits.maxEntries,
            `rootfs ${root} has more entries than allowed`,
          );
        }
        if (typeof st === 'string') {
          warnings.add(`rootfs: skipped "${rel}": ${st}`);
          continue;
        }
        const type = typeOf(st);
        if (type === undefined) {
          warnings.add(`rootfs: skipped "${rel}": sockets are not image content`);
          continue;
        }
        let linkTarget: string | undefined;
        if (type === 'symlink') {
          try {
            linkTarget = await readlink(path.join(abs, name));
          } catch (err) {
            warnings.add(`rootfs: skipped "${rel}": ${errorMessage(err)}`);
            continue;
          }
        }
        const size = type === 'file' ? st.size : 0;
        const entry: FileEntry = {
          path: rel,
          type,
          mode: st.mode & 0o7777,
          uid: st.uid,
          gid: st.gid,
          size,
          mtime: st.mtime,
          ...(linkTarget === undefined ? {} : { linkTarget }),
          layerIndex: ROOTFS_LAYER.index,
          diffID: undefined,
          createdBy: undefined,
        };
        const data: ContentRef | undefined =
          type === 'file'
            ? { content: undefined, summary: undefined, size, layer: -1, ordinal: -1, sourcePath: rel }
            : undefined;
        const node = tree.put(entry, data, ROOTFS_LAYER);
        if (type === 'dir') dirs.push(rel);
        if (type === 'dir') continue;
        const wanted = want !== undefined && want(rel);
        if (wanted) node.wanted = true;
        if (data === undefined) continue;
        if (wanted && size > limits.maxFileBytes) throw fileTooLarge(rel, size, limits.maxFileBytes);
        let reducer = summarize?.(rel, { mode: entry.mode, size });
        if (reducer !== undefined && size > limits.maxFileBytes) {
          warnings.add(
            `rootfs: not summarized "${rel}": ${size} bytes, over the maxFileBytes limit of ${limits.maxFileBytes}`,
          );
          reducer = undefined;
        }
        if (!wanted && reducer === undefined) continue;
        const content = await readContained(root, rel, limits.maxFileBytes, warnings);
        if (wanted) data.content = content;
        if (reducer !== undefined && content !== undefined)
          data.summary = runReducer(reducer, content, rel, 'rootfs', warnings);
      }
    }
  }

  if (want !== undefined) {
    const missing = findMissingContent(tree.root, want, limits.maxFileBytes, limits.maxSymlinkHops, warnings);
    for (const ref of missing) {
      signal?.throwIfAborted();
      ref.content = await readContained(root, ref.sourcePath, limits.maxFileBytes, warnings);
    }
  }
  return new MergedFileTree(tree.root, limits.maxSymlinkHops, warnings.toArray());
}
