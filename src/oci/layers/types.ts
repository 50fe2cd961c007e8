import type { Digest, Limits, Logger } from '../../core/index.js';
import type { LayerCacheUse } from './cache.js';

export type FileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** One path of an image's merged filesystem, as the last layer that wrote it left it. */
export type FileEntry = {
  /** Normalized, relative to the image root, without a leading "/": `var/lib/dpkg/status`. */
  readonly path: string;
  readonly type: FileType;
  /** Permission bits (`& 0o7777`), without the file-type bits. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content for regular files and hard links (the target's size); 0 for everything else. */
  readonly size: number;
  readonly mtime: Date | undefined;
  /** The link name exactly as stored, for symlinks and hard links. */
  readonly linkTarget?: string;
  /** Layer that last wrote this path (-1 for a `rootfs:` directory). */
  readonly layerIndex: number;
  readonly diffID: Digest | undefined;
  /** `created_by` of the history entry of that layer. */
  readonly createdBy: string | undefined;
};

export type ReadFilesOptions = {
  /**
   * Which paths to keep the content of. It is asked with each entry's normalized path, and with
   * paths that reach a file through a symlinked directory (`lib/x` when `lib -> usr/lib`).
   * Metadata of every entry is always kept; content of everything else is never buffered.
   */
  readonly want?: (path: string) => boolean;
  /**
   * For regular files too large to keep (binaries, archives): return a reducer and the reader
   * buffers that one file (up to maxFileBytes), calls the reducer as soon as the file is
   * complete, keeps only its result (see `FileTree.summary`) and lets go of the bytes. Asked
   * once per regular-file entry with its normalized path, permission bits and size. A reducer
   * that throws costs a warning, never the read; a file over maxFileBytes is skipped with a
   * warning instead of failing the image.
   */
  readonly summarize?: (
    path: string,
    meta: { readonly mode: number; readonly size: number },
  ) => ((content: Buffer) => unknown) | undefined;
  readonly limits?: Partial<Limits>;
  /**
   * Merge layers found in this cache from their processed form instead of reading them, and
   * store the layers that were read. Ignored for a `rootfs:` directory.
   */
  readonly layerCache?: LayerCacheUse;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
};

/** The merged filesystem of an image: metadata of every path, content of the wanted ones. */
export interface FileTree {
  /** All merged entries, sorted by path (the root itself is not listed). */
  entries(): FileEntry[];
  /** Entry at exactly this path (no symlink following); `""` is the root directory. */
  get(path: string): FileEntry | undefined;
  /** Follows symlinks (in every path component) inside the image root only; undefined if dangling/looping/too deep. */
  resolve(path: string): FileEntry | undefined;
  /** Content of a wanted regular file (following symlinks and hard links), or undefined. */
  readFile(path: string): Buffer | undefined;
  /**
   * What the `summarize` reducer returned for the regular file now at `path` (following
   * symlinks and hard links), or undefined. Results of files a later layer deleted or replaced
   * are gone with them.
   */
  summary(path: string): unknown;
  /** Hostile or odd entries that were skipped, one message each. */
  readonly warnings: readonly string[];
}
