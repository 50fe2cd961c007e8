import { createReadStream } from 'node:fs';
import { open, readdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  VerifyingStream,
  defaultCacheDir,
  digestAlgorithm,
  digestHex,
  errorMessage,
  isPortcullisError,
  silentLogger,
  tryParseDigest,
  writeStreamAtomic,
  type Digest,
  type Logger,
} from '../core/index.js';
import { OciError } from './errors.js';

export type BlobCacheOptions = {
  /** Root of the cache; blobs live at `<dir>/<algorithm>/<hex>`. Default `<defaultCacheDir()>/blobs`. */
  readonly dir?: string | undefined;
  /** Least-recently-used blobs beyond this total are evicted after each new blob. Default 10 GiB. */
  readonly maxBytes?: number | undefined;
  readonly logger?: Logger | undefined;
};

export type PruneResult = {
  readonly removedFiles: number;
  readonly removedBytes: number;
  readonly keptBytes: number;
};

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024 * 1024;
// Temporary files older than this belong to a process that died mid-download.
const STALE_TEMP_MS = 60 * 60 * 1000;

function checkDigest(digest: Digest | string): Digest {
  const d = tryParseDigest(digest);
  if (d === undefined)
    throw new OciError('CACHE_FAILED', `not a valid blob digest: "${String(digest).slice(0, 80)}"`);
  return d;
}

/**
 * Content-addressed blob storage on local disk. A blob appears under its digest only after its
 * whole content was verified against that digest (and size), written to a temporary file and
 * renamed: readers never see partial or unverified data. Access times drive LRU pruning.
 */
export class BlobCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly logger: Logger;

  constructor(opts: BlobCacheOptions = {}) {
    this.dir = path.resolve(opts.dir ?? path.join(defaultCacheDir(), 'blobs'));
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Where a blob is (or would be) stored. @throws OciError CACHE_FAILED for an invalid digest. */
  path(digest: Digest | string): string {
    const d = checkDigest(digest);
    return path.join(this.dir, digestAlgorithm(d), digestHex(d));
  }

  /** Whether the blob is cached (with the given size, when one is given). */
  async has(digest: Digest | string, size?: number): Promise<boolean> {
    try {
      const s = await stat(this.path(digest));
      return s.isFile() && (size === undefined || s.size === size);
    } catch {
      return false;
    }
  }

  /**
   * Opens a cached blob, or undefined when it is absent. A file whose size differs from
   * `size` is not what its name promises (the disk was tampered with or damaged): it is removed
   * and treated as absent. Opening counts as a use for LRU pruning.
   */
  async open(digest: Digest | string, size?: number): Promise<Readable | undefined> {
    const file = this.path(digest);
    let fh;
    try {
      fh = await open(file, 'r');
    } catch {
      return undefined;
    }
    try {
      // fstat on the open handle: a concurrent prune() may unlink the name, never our open file.
      const s = await fh.stat();
      if (!s.isFile() || (size !== undefined && s.size !== size)) {
        await fh.close();
        this.logger.warn('cached blob has the wrong size; discarding it', {
          digest: String(digest),
          expected: size,
          actual: s.size,
        });
        await rm(file, { force: true });
        return undefined;
      }
      const now = new Date();
      await fh.utimes(now, now).catch(() => undefined);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw new OciError('CACHE_FAILED', `cannot read cached blob ${String(digest)}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    return createReadStream('', { fd: fh, autoClose: true });
  }

  /**
   * Stores a blob from `source`, verified against `desc` on the way in, and returns its path.
   * If it is cached already, `source` is discarded.
   * @throws CoreError DIGEST_MISMATCH / SIZE_MISMATCH naming the digest (nothing is stored),
   *   OciError CACHE_FAILED for file-system failures, or the source's own error.
   */
  async put(
    desc: { readonly digest: Digest | string; readonly size?: number | undefined },
    source: Readable,
  ): Promise<string> {
    const digest = checkDigest(desc.digest);
    const target = this.path(digest);
    if (await this.has(digest, desc.size)) {
      source.destroy();
      const now = new Date();
      await utimes(target, now, now).catch(() => undefined);
      return target;
    }
    try {
      await writeStreamAtomic(target, source, [new VerifyingStream(digest, desc.size, 'blob')]);
    } catch (err) {
      if (isPortcullisError(err)) throw err;
      throw new OciError('CACHE_FAILED', `cannot store blob ${digest} in ${this.dir}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    this.logger.debug('blob cached', { digest, path: target });
    // The size cap is kept as blobs arrive, not left to a separate command nobody runs. The new
    // blob is the most recently used, so it survives unless it alone exceeds the cap.
    await this.prune().catch((err: unknown) => {
      this.logger.warn('could not prune the blob cache', { error: errorMessage(err) });
    });
    return target;
  }

  /**
   * Evicts least-recently-used blobs until the cache holds at most `maxBytes`, and removes
   * temporary files left behind by interrupted downloads.
   * @throws OciError CACHE_FAILED when the cache directory cannot be read.
   */
  async prune(): Promise<PruneResult> {
    const entries: { file: string; size: number; used: number }[] = [];
    let removedFiles = 0;
    let removedBytes = 0;
    let algorithms: string[];
    try {
      algorithms = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { removedFiles: 0, removedBytes: 0, keptBytes: 0 };
      throw new OciError('CACHE_FAILED', `cannot read the blob cache ${this.dir}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    const now = Date.now();
    for (const alg of algorithms) {
      let names: string[];
      try {
        names = await readdir(path.join(this.dir, alg));
      } catch {
        continue;
      }
      for (const name of names) {
        const file = path.join(this.dir, alg, name);
        const s = await stat(file).catch(() => undefined);
        if (s === undefined || !s.isFile()) continue;
        if (name.startsWith('.tmp-')) {
          if (now - s.mtimeMs > STALE_TEMP_MS) {
            await rm(file, { force: true });
            removedFiles++;
            removedBytes += s.size;
          }
          continue;
        }
        entries.push({ file, size: s.size, used: s.mtimeMs });
      }
    }
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    entries.sort((a, b) => a.used - b.used);
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      await rm(e.file, { force: true });
      total -= e.size;
      removedFiles++;
      removedBytes += e.size;
    }
    if (removedFiles > 0)
      this.logger.info('pruned the blob cache', { removedFiles, removedBytes, keptBytes: total });
    return { removedFiles, removedBytes, keptBytes: total };
  }
}
