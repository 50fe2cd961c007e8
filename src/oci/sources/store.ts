import { createReadStream } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { errorMessage, isPortcullisError, normalizeImagePath, truncateForMessage } from '../../core/index.js';
import { readHead } from '../archive/compression.js';
import type { TarIndex } from '../archive/tar.js';
import { OciError } from '../errors.js';

/** A file found in a store: a regular file in a layout directory or an entry of an archive. */
export type StoreFile = {
  /** Path inside the store, as asked for. */
  readonly name: string;
  readonly size: number;
  /** Reads it whole. @throws OciError LIMIT_EXCEEDED beyond `maxBytes`. */
  read(maxBytes: number): Promise<Buffer>;
  /** Reads its first bytes, to sniff the format. */
  head(length: number): Promise<Buffer>;
  open(): Readable;
};

/** Read-only access to the files of an image layout, wherever they live (directory or tar). */
export interface FileStore {
  /** The directory or archive, as the user named it, for messages. */
  readonly location: string;
  /** Code for structural problems: SOURCE_INVALID for a directory, ARCHIVE_INVALID for an archive. */
  readonly invalidCode: 'SOURCE_INVALID' | 'ARCHIVE_INVALID';
  /**
   * The regular file at `name` (a relative path), or undefined when there is none.
   * @throws OciError when the path escapes the store (`..`, or a symlink pointing outside).
   */
  find(name: string): Promise<StoreFile | undefined>;
}

/** A store over a directory. Symlinks are followed only while they stay inside the directory. */
export class DirStore implements FileStore {
  readonly location: string;
  readonly invalidCode = 'SOURCE_INVALID' as const;
  private readonly realRoot: string;

  private constructor(location: string, realRoot: string) {
    this.location = location;
    this.realRoot = realRoot;
  }

  /**
   * Opens a store over `dir`.
   * @throws OciError SOURCE_INVALID when `dir` does not exist or is not a directory.
   */
  static async open(dir: string): Promise<DirStore> {
    let real: string;
    try {
      real = await realpath(dir);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new OciError(
        'SOURCE_INVALID',
        missing ? `${dir} does not exist` : `cannot read ${dir}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    if (!(await stat(real)).isDirectory()) {
      throw new OciError(
        'SOURCE_INVALID',
        `${dir} is not a directory (for an archive file use oci-archive:${dir})`,
      );
    }
    return new DirStore(dir, real);
  }

  async find(name: string): Promise<StoreFile | undefined> {
    const rel = safeRelative(name, this);
    const full = path.join(this.realRoot, rel);
    let real: string;
    let info;
    try {
      await lstat(full);
      real = await realpath(full);
      if (real !== this.realRoot && !real.startsWith(this.realRoot + path.sep)) {
        throw new OciError(
          'SOURCE_INVALID',
          `${this.location}: ${rel} is a symlink pointing outside the layout (to ${real}); refused`,
        );
      }
      info = await stat(real);
    } catch (err) {
      if (isPortcullisError(err)) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      // Missing, or a dangling symlink: nothing is there.
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new OciError('SOURCE_INVALID', `${this.location}: cannot read ${rel}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (!info.isFile()) return undefined;
    const size = info.size;
    return {
      name: rel,
      size,
      read: async (maxBytes) => {
        if (size > maxBytes) {
          throw new OciError(
            'LIMIT_EXCEEDED',
            `${this.location}: ${rel} is ${size} bytes, over the ${maxBytes}-byte limit for it`,
          );
        }
        return readHead(real, size);
      },
      head: (length) => readHead(real, Math.min(length, size)),
      open: () => createReadStream(real),
    };
  }
}

/** A store over an indexed tar file. */
export class TarStore implements FileStore {
  readonly location: string;
  readonly invalidCode = 'ARCHIVE_INVALID' as const;
  readonly index: TarIndex;

  constructor(index: TarIndex) {
    this.index = index;
    this.location = index.label;
  }

  find(name: string): Promise<StoreFile | undefined> {
    const entry = this.index.resolve(safeRelative(name, this));
    if (entry === undefined) return Promise.resolve(undefined);
    const index = this.index;
    return Promise.resolve({
      name,
      size: entry.size,
      read: (maxBytes: number) => index.readEntry(entry, maxBytes),
      head: (length: number) => index.readHead(entry, length),
      open: () => index.openEntry(entry),
    });
  }
}

function safeRelative(name: string, store: FileStore): string {
  try {
    return normalizeImagePath(name, { strict: true });
  } catch (err) {
    if (isPortcullisError(err)) {
      throw new OciError(
        store.invalidCode,
        `${store.location}: path "${truncateForMessage(name)}" escapes it: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}
