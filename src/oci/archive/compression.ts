import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { errorMessage, isPortcullisError, silentLogger, type Logger } from '../../core/index.js';
import { OciError } from '../errors.js';
import { sniffCompression, type Compression } from '../magic.js';

export { sniffCompression, type Compression };

/** Reads the first bytes of a file (fewer when it is shorter). */
export async function readHead(file: string, length = 8): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** An archive ready for random access: the file itself, or a decompressed copy in the cache directory. */
export type LocalArchive = {
  /** The uncompressed tar to index and read. */
  readonly path: string;
  readonly compression: Compression;
  /** Removes the decompressed copy, if one was made. Safe to call twice. */
  dispose(): Promise<void>;
};

/** Options for prepareArchive. */
export type PrepareArchiveOptions = {
  /** Where a decompressed copy goes (under `<cacheDir>/tmp`). */
  readonly cacheDir: string;
  /** Most decompressed bytes written before giving up. */
  readonly maxBytes: number;
  readonly logger?: Logger | undefined;
};

/**
 * Makes an archive file seekable: an uncompressed tar is used in place; a gzip-compressed one is
 * decompressed once into a temporary file under the cache directory, because tar entries can
 * only be located by offset in the uncompressed bytes. Compression is sniffed, never taken from
 * the file name.
 *
 * @throws OciError SOURCE_INVALID for a missing file or a directory, ARCHIVE_INVALID for corrupt
 *   gzip data or unsupported compression, LIMIT_EXCEEDED when decompression passes `maxBytes`.
 */
export async function prepareArchive(file: string, options: PrepareArchiveOptions): Promise<LocalArchive> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new OciError(
      'SOURCE_INVALID',
      missing ? `archive ${file} does not exist` : `cannot read archive ${file}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (info.isDirectory()) {
    throw new OciError(
      'SOURCE_INVALID',
      `${file} is a directory, not an archive file (for an OCI layout directory use oci:${file})`,
    );
  }
  if (!info.isFile()) throw new OciError('SOURCE_INVALID', `${file} is not a regular file`);
  const compression = sniffCompression(await readHead(file));
  if (compression === 'none') return { path: file, compression, dispose: () => Promise.resolve() };
  if (compression !== 'gzip') {
    throw new OciError(
      'ARCHIVE_INVALID',
      `archive ${file} is ${compression}-compressed, which is not supported; decompress it first (gzip is read directly)`,
    );
  }
  const dir = path.join(options.cacheDir, 'tmp');
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `archive-${randomBytes(8).toString('hex')}.tar`);
  (options.logger ?? silentLogger).debug('decompressing archive into the cache directory', {
    archive: file,
    temporary: tmp,
  });
  try {
    await pipeline(
      createReadStream(file),
      createGunzip(),
      byteLimit(options.maxBytes, file),
      createWriteStream(tmp, { flags: 'wx', mode: 0o600 }),
    );
  } catch (err) {
    await rm(tmp, { force: true });
    if (isPortcullisError(err)) throw err;
    throw new OciError(
      'ARCHIVE_INVALID',
      `gzip-compressed archive ${file} is corrupt or truncated: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return { path: tmp, compression, dispose: () => rm(tmp, { force: true }) };
}

function byteLimit(max: number, file: string): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      total += chunk.length;
      if (total > max) {
        cb(
          new OciError(
            'LIMIT_EXCEEDED',
            `archive ${file} decompresses to more than ${max} bytes (maxDecompressedBytes)`,
          ),
        );
        return;
      }
      cb(undefined, chunk);
    },
  });
}
