import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CoreError, errorMessage } from './errors.js';

function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${randomBytes(6).toString('hex')}`);
}

async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `data` to `target` atomically: a temporary file in the same directory, fsync, rename.
 * Readers see the old file or the whole new one, never a half-written one. `mode` is set when
 * the temporary file is created, so the content is never readable with wider permissions.
 * With `overwrite: false` an existing `target` is left alone: the temporary file is hard-linked
 * into place (link fails if the name exists, with no window between check and write).
 *
 * @throws CoreError IO_FAILED; when `overwrite` is false and `target` exists, its `cause` has
 *   code `EEXIST`.
 */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array | string,
  mode = 0o644,
  options: { readonly overwrite?: boolean } = {},
): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = tempSibling(target);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (options.overwrite === false) {
      await link(tmp, target);
      await rm(tmp, { force: true });
    } else {
      await rename(tmp, target);
    }
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CoreError('IO_FAILED', `cannot write ${target}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Streams `source` through the given transforms into `target` atomically. If any stage fails
 * (for instance a VerifyingStream rejecting the content) the temporary file is removed and
 * nothing appears at `target`.
 */
export async function writeStreamAtomic(
  target: string,
  source: Readable,
  transforms: NodeJS.ReadWriteStream[] = [],
): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = tempSibling(target);
  // Created before the pipeline starts: a write stream opening its own file may create it after
  // a failing pipeline has already settled and the cleanup below has run, leaving it behind.
  const fh = await open(tmp, 'wx');
  try {
    await pipeline([source, ...transforms, fh.createWriteStream()]);
    await fsyncPath(tmp);
    await rename(tmp, target);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}
